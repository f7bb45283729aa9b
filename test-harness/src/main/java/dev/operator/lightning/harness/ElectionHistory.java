package dev.operator.lightning.harness;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Who led one election, and from when, as etcd itself tells it: the candidate key with the lowest
 * create revision under the election prefix, its value being the member's {@code cluster.id}. Read
 * with a client and a watch of the monitor's own; while its watch is broken the leader is recorded
 * as {@link #UNKNOWN}, so no interval runs on across a gap.
 */
public final class ElectionHistory implements AutoCloseable {
  public static final String UNKNOWN = "(unknown)";

  /** From {@code since} on, {@code leader} led (null: nobody; {@link #UNKNOWN}: not watched). */
  public record Term(Instant since, long revision, String leader) {}

  private final Client etcd;
  private final ByteSequence prefix;
  private final List<Term> terms = new ArrayList<>();
  private final Map<String, KeyValue> candidates = new HashMap<>();
  private Watch.Watcher watch;

  /**
   * Which list-and-watch is in force. jetcd reports one broken watch more than once (onError, then
   * onCompleted when it closes it, and again when it is closed here): a report from any but the
   * watch in force is ignored, or each break would start two watches and leave one open, doubling
   * them at every etcd restart until the members ran out of memory.
   */
  private long generation;

  private boolean closed;

  /** Follows the election under {@code prefix}; the client stays the caller's. */
  public ElectionHistory(Client etcd, String prefix) {
    this.etcd = etcd;
    this.prefix = ByteSequence.from(prefix, StandardCharsets.UTF_8);
    follow(0);
  }

  private void follow(long gen) {
    etcd.getKVClient()
        .get(prefix, GetOption.builder().isPrefix(true).build())
        .orTimeout(10, TimeUnit.SECONDS)
        .whenComplete(
            (listed, error) -> {
              if (error != null) {
                followAgain(gen);
              } else {
                listed(listed, gen);
              }
            });
  }

  private synchronized void listed(GetResponse listed, long gen) {
    if (closed || gen != generation) {
      return;
    }
    candidates.clear();
    listed.getKvs().forEach(kv -> candidates.put(kv.getKey().toString(), kv));
    record(listed.getHeader().getRevision());
    watch =
        etcd.getWatchClient()
            .watch(
                prefix,
                WatchOption.builder()
                    .isPrefix(true)
                    .withRevision(listed.getHeader().getRevision() + 1)
                    .build(),
                Watch.listener(
                    r -> changed(r, gen), err -> followAgain(gen), () -> followAgain(gen)));
  }

  private synchronized void changed(io.etcd.jetcd.watch.WatchResponse r, long gen) {
    if (closed || gen != generation) {
      return;
    }
    for (WatchEvent e : r.getEvents()) {
      KeyValue kv = e.getKeyValue();
      if (e.getEventType() == WatchEvent.EventType.DELETE) {
        candidates.remove(kv.getKey().toString());
      } else {
        candidates.put(kv.getKey().toString(), kv);
      }
      record(kv.getModRevision());
    }
  }

  private void followAgain(long gen) {
    Watch.Watcher broken;
    long next;
    synchronized (this) {
      if (closed || gen != generation) {
        return;
      }
      next = ++generation;
      add(new Term(Instant.now(), -1, UNKNOWN));
      broken = watch;
      watch = null;
    }
    // Outside the lock: closing calls back into followAgain from jetcd's own lock.
    if (broken != null) {
      broken.close();
    }
    CompletableFuture.runAsync(
        () -> follow(next), CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
  }

  private void record(long revision) {
    String leader =
        candidates.values().stream()
            .min(Comparator.comparingLong(KeyValue::getCreateRevision))
            .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
            .orElse(null);
    add(new Term(Instant.now(), revision, leader));
  }

  private void add(Term t) {
    if (terms.isEmpty() || !Objects.equals(terms.get(terms.size() - 1).leader(), t.leader())) {
      terms.add(t);
    }
  }

  /**
   * Who led at etcd revision {@code revision} ("" for nobody), when these terms tell: the last term
   * that began at or before it, unless a gap of the watch (an {@link #UNKNOWN} term) follows that
   * term before a later known one: past the term's own revision the leader may have changed unseen
   * before the gap. Empty when the terms cannot tell (the revision predates the first listing, or
   * falls in a gap).
   */
  public static java.util.Optional<String> leaderAt(List<Term> terms, long revision) {
    int inEffect = -1;
    for (int i = 0; i < terms.size(); i++) {
      Term t = terms.get(i);
      if (UNKNOWN.equals(t.leader())) {
        continue;
      }
      if (t.revision() > revision) {
        break;
      }
      inEffect = i;
    }
    if (inEffect < 0
        || (inEffect + 1 < terms.size()
            && UNKNOWN.equals(terms.get(inEffect + 1).leader())
            && terms.get(inEffect).revision() != revision)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(Objects.requireNonNullElse(terms.get(inEffect).leader(), ""));
  }

  /** Every term so far, oldest first. */
  public synchronized List<Term> terms() {
    return List.copyOf(terms);
  }

  /** The leader now, as last seen ({@link #UNKNOWN} before the first list). */
  public synchronized String leader() {
    return terms.isEmpty() ? UNKNOWN : terms.get(terms.size() - 1).leader();
  }

  @Override
  public void close() {
    Watch.Watcher last;
    synchronized (this) {
      closed = true;
      last = watch;
      watch = null;
    }
    if (last != null) {
      last.close();
    }
  }
}
