package dev.operator.lightning.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one election prefix: list, then watch from the next revision. Any watch error, completion
 * (a compaction cancels a watch) or silence beyond {@link #SILENCE_LIMIT} drops the view to
 * unsynced and starts over with a fresh list after a jittered backoff, because jetcd's own watch
 * retry does not survive every etcd leader loss.
 */
final class PrefixWatch {
  /** How often a quiet watch is asked for a progress notification. */
  static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

  /** A watch that answered nothing, not even progress, for this long is restarted. */
  static final Duration SILENCE_LIMIT = Duration.ofSeconds(15);

  static final Duration LIST_TIMEOUT = Duration.ofSeconds(10);
  static final Duration BACKOFF_MIN = Duration.ofMillis(200);
  static final Duration BACKOFF_MAX = Duration.ofSeconds(5);
  private static final Logger log = LoggerFactory.getLogger(PrefixWatch.class);

  private final String name;
  private final Client client;
  private final ByteSequence prefix;
  private final Runnable onChange;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;

  private final Map<String, Candidate> candidates = new HashMap<>();
  private Watch.Watcher watcher;
  private boolean synced;
  private boolean closed;
  private long revision;
  private String leaderKey;
  private long leaderSinceRevision;
  private Instant leaderSince;
  private Instant lastHeard;
  private int failures;
  private long generation;

  private final Duration progressInterval;
  private final Duration silenceLimit;

  PrefixWatch(
      String name,
      Client client,
      String prefix,
      Runnable onChange,
      ScheduledExecutorService scheduler,
      Clock clock) {
    this(name, client, prefix, onChange, scheduler, clock, PROGRESS_INTERVAL, SILENCE_LIMIT);
  }

  /** With other watchdog timings (tests). */
  PrefixWatch(
      String name,
      Client client,
      String prefix,
      Runnable onChange,
      ScheduledExecutorService scheduler,
      Clock clock,
      Duration progressInterval,
      Duration silenceLimit) {
    this.progressInterval = progressInterval;
    this.silenceLimit = silenceLimit;
    this.name = name;
    this.client = client;
    this.prefix = ByteSequence.from(prefix, StandardCharsets.UTF_8);
    this.onChange = onChange;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  void start() {
    scheduler.execute(this::relist);
  }

  synchronized ElectionView view() {
    if (!synced) {
      return ElectionView.unsynced();
    }
    return new ElectionView(true, sorted(), revision, leaderSinceRevision, leaderSince);
  }

  /** A linearizable read straight from etcd, for decisions that must not trust the watch. */
  ElectionView readNow() throws Exception {
    GetResponse r = client.getKVClient().get(prefix, listOption()).get(5, TimeUnit.SECONDS);
    List<Candidate> list = r.getKvs().stream().map(PrefixWatch::candidate).toList();
    long rev = r.getHeader().getRevision();
    return new ElectionView(true, sortedCopy(list), rev, rev, clock.instant());
  }

  synchronized void close() {
    closed = true;
    if (watcher != null) {
      watcher.close();
    }
  }

  /** Drops the watch as if the connection broke (tests use it to prove recovery). */
  synchronized void breakWatch() {
    fail(new IllegalStateException("watch broken on purpose"), generation);
  }

  /**
   * Lists the prefix and watches from the next revision. Never blocks a scheduler thread: an
   * unreachable etcd of one cluster must not delay the elections of the others.
   */
  private void relist() {
    long gen;
    synchronized (this) {
      if (closed) {
        return;
      }
      gen = ++generation;
      if (watcher != null) {
        watcher.close();
        watcher = null;
      }
    }
    client
        .getKVClient()
        .get(prefix, listOption())
        .orTimeout(LIST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (r, error) -> {
              if (error != null) {
                fail(error, gen);
              } else {
                try {
                  listed(r, gen);
                } catch (RuntimeException e) {
                  fail(e, gen);
                }
              }
            });
  }

  private void listed(GetResponse r, long gen) {
    boolean wasSynced;
    synchronized (this) {
      if (closed || gen != generation) {
        return;
      }
      wasSynced = synced;
      candidates.clear();
      r.getKvs()
          .forEach(
              kv -> {
                Candidate c = candidate(kv);
                candidates.put(c.key(), c);
              });
      revision = r.getHeader().getRevision();
      synced = true;
      failures = 0;
      lastHeard = clock.instant();
      WatchOption opt =
          WatchOption.builder()
              .isPrefix(true)
              .withRevision(revision + 1)
              .withRequireLeader(true)
              .withProgressNotify(true)
              .build();
      watcher =
          client
              .getWatchClient()
              .watch(
                  prefix,
                  opt,
                  Watch.listener(
                      resp -> apply(resp, gen),
                      err -> fail(err, gen),
                      () -> fail(new IllegalStateException("watch closed by etcd"), gen)));
    }
    // Seeing the election again is news too: status still says it is not observed.
    if (leaderMaybeChanged(revision) || !wasSynced) {
      onChange.run();
    }
    scheduleWatchdog(gen);
  }

  private void apply(WatchResponse resp, long gen) {
    synchronized (this) {
      if (closed || gen != generation) {
        return;
      }
      lastHeard = clock.instant();
      for (WatchEvent e : resp.getEvents()) {
        KeyValue kv = e.getKeyValue();
        String key = kv.getKey().toString(StandardCharsets.UTF_8);
        if (e.getEventType() == WatchEvent.EventType.PUT) {
          candidates.put(key, candidate(kv));
        } else if (e.getEventType() == WatchEvent.EventType.DELETE) {
          candidates.remove(key);
        }
        revision = Math.max(revision, kv.getModRevision());
      }
    }
    if (!resp.getEvents().isEmpty()) {
      // Any candidate change matters, not only a new leader: a restarted member campaigning
      // again is what confirms that the leader key belongs to a dead process.
      leaderMaybeChanged(revision);
      onChange.run();
    }
  }

  private void fail(Throwable error, long gen) {
    boolean wasSynced;
    Watch.Watcher broken;
    synchronized (this) {
      if (closed || gen != generation) {
        return;
      }
      generation++;
      wasSynced = synced;
      synced = false;
      broken = watcher;
      watcher = null;
      failures++;
    }
    long base =
        Math.min(BACKOFF_MAX.toMillis(), BACKOFF_MIN.toMillis() << Math.min(failures - 1, 5));
    long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    log.warn("election watch {} lost ({}); listing again in {} ms", name, error.toString(), delay);
    // Whatever closing the broken watch or telling the reconciler throws, the list comes.
    try {
      if (broken != null) {
        broken.close();
      }
      if (wasSynced) {
        onChange.run();
      }
    } finally {
      scheduler.schedule(this::relist, delay, TimeUnit.MILLISECONDS);
    }
  }

  private void scheduleWatchdog(long gen) {
    scheduler.schedule(() -> watchdog(gen), progressInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * One watchdog round. A round that throws must not end the watchdog (a scheduled task that throws
   * is never run again, and a silent watch would then stay "synced" on stale data): any exception
   * drops the view and starts over with a fresh list, as a broken watch does.
   */
  private void watchdog(long gen) {
    try {
      Instant heard;
      synchronized (this) {
        if (closed || gen != generation) {
          return;
        }
        heard = lastHeard;
      }
      if (Duration.between(heard, clock.instant()).compareTo(silenceLimit) > 0) {
        fail(new IllegalStateException("watch silent for " + silenceLimit), gen);
        return;
      }
      client.getWatchClient().requestProgress();
      scheduleWatchdog(gen);
    } catch (RuntimeException e) {
      fail(new IllegalStateException("watchdog failed: " + e, e), gen);
    }
  }

  /** Records when the lowest key changes; true when it did. Callers decide whom to tell. */
  private boolean leaderMaybeChanged(long atRevision) {
    boolean changed;
    synchronized (this) {
      List<Candidate> s = sorted();
      String now = s.isEmpty() ? null : s.get(0).key();
      changed = leaderSince == null || !Objects.equals(now, leaderKey);
      if (changed) {
        leaderKey = now;
        leaderSinceRevision = atRevision;
        leaderSince = clock.instant();
      }
    }
    return changed;
  }

  private List<Candidate> sorted() {
    return sortedCopy(new ArrayList<>(candidates.values()));
  }

  private static List<Candidate> sortedCopy(List<Candidate> list) {
    List<Candidate> copy = new ArrayList<>(list);
    copy.sort(Comparator.comparingLong(Candidate::createRevision));
    return List.copyOf(copy);
  }

  private GetOption listOption() {
    return GetOption.builder()
        .isPrefix(true)
        .withSortField(GetOption.SortTarget.CREATE)
        .withSortOrder(GetOption.SortOrder.ASCEND)
        .build();
  }

  private static Candidate candidate(KeyValue kv) {
    return new Candidate(
        kv.getKey().toString(StandardCharsets.UTF_8),
        kv.getCreateRevision(),
        kv.getLease(),
        kv.getValue().toString(StandardCharsets.UTF_8));
  }
}
