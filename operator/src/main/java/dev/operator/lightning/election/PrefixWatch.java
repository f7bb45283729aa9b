package dev.operator.lightning.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
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
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every election under one etcd prefix with one watch: list, then watch from the listed
 * revision. Clusters whose elections lie under the same prefix of the same etcd subscribe to one
 * watch, each with its own election prefix, so 1,000 clusters on one etcd cost one watch and one
 * list, not 1,000; the watches of different prefixes on one etcd share one stream ({@link
 * WatchStream}). Any watch error, completion (a compaction cancels a watch) or silence beyond
 * {@link #SILENCE_LIMIT} drops every subscriber's view to unsynced and starts over with a fresh
 * list after a jittered backoff, because jetcd's own watch retry does not survive every etcd leader
 * loss.
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

  /** Where the watch of a prefix comes from: the one stream of its etcd. */
  @FunctionalInterface
  interface WatchSource {
    Watch.Watcher watch(ByteSequence prefix, long fromRevision, Watch.Listener listener);
  }

  private final String name;
  private final Client client;
  private final WatchSource watches;
  private final ByteSequence prefix;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;

  /** Every key under the watched prefix, sorted, so one election is a contiguous range. */
  private final TreeMap<String, Candidate> candidates = new TreeMap<>();

  /** By subscriber (a cluster's key). */
  private final Map<String, Subscriber> subscribers = new HashMap<>();

  /**
   * Done once the first listing has answered or failed, so that a cluster's first pass can wait for
   * it briefly instead of reporting an election it has not asked about yet as unobserved.
   */
  private final CompletableFuture<Void> firstListing = new CompletableFuture<>();

  private Watch.Watcher watcher;
  private boolean synced;
  private boolean closed;
  private long revision;
  private Instant lastHeard;
  private int failures;
  private long generation;

  /** One election followed through this watch, and when its leader began. */
  private static final class Subscriber {
    final String prefix;
    final Runnable onChange;
    String leaderKey;
    long leaderSinceRevision;
    Instant leaderSince;

    Subscriber(String prefix, Runnable onChange) {
      this.prefix = prefix;
      this.onChange = onChange;
    }
  }

  private final Duration progressInterval;
  private final Duration silenceLimit;

  PrefixWatch(
      String name,
      Client client,
      WatchSource watches,
      String prefix,
      ScheduledExecutorService scheduler,
      Clock clock) {
    this(name, client, watches, prefix, scheduler, clock, PROGRESS_INTERVAL, SILENCE_LIMIT);
  }

  /** With other watchdog timings (tests). */
  PrefixWatch(
      String name,
      Client client,
      WatchSource watches,
      String prefix,
      ScheduledExecutorService scheduler,
      Clock clock,
      Duration progressInterval,
      Duration silenceLimit) {
    this.progressInterval = progressInterval;
    this.silenceLimit = silenceLimit;
    this.name = name;
    this.client = client;
    this.watches = watches;
    this.prefix = ByteSequence.from(prefix, StandardCharsets.UTF_8);
    this.scheduler = scheduler;
    this.clock = clock;
  }

  void start() {
    scheduler.execute(this::relist);
  }

  /**
   * Follows the election under {@code electionPrefix} (which must lie under the watched prefix);
   * {@code onChange} is called whenever its candidates change or the watch is lost or seen again. A
   * subscriber of a watch that is already synced hears of it at once, so its status does not wait
   * for the next periodic pass to say the election is observed.
   */
  void subscribe(String id, String electionPrefix, Runnable onChange) {
    if (!electionPrefix.startsWith(prefix.toString(StandardCharsets.UTF_8))) {
      throw new IllegalArgumentException(electionPrefix + " is not under " + prefix);
    }
    boolean tell;
    synchronized (this) {
      Subscriber s = new Subscriber(electionPrefix, onChange);
      subscribers.put(id, s);
      tell = synced;
      if (synced) {
        leaderMaybeChanged(s, revision);
      }
    }
    if (tell) {
      scheduler.execute(onChange);
    }
  }

  /**
   * @return whether anyone still follows an election through this watch
   */
  synchronized boolean unsubscribe(String id) {
    subscribers.remove(id);
    return !subscribers.isEmpty();
  }

  synchronized ElectionView view(String id) {
    Subscriber s = subscribers.get(id);
    if (!synced || s == null || s.leaderSince == null) {
      return ElectionView.unsynced();
    }
    return new ElectionView(true, sorted(s.prefix), revision, s.leaderSinceRevision, s.leaderSince);
  }

  /**
   * A linearizable read of one election straight from etcd, for decisions that must not trust the
   * watch.
   */
  ElectionView readNow(String electionPrefix) throws Exception {
    GetResponse r =
        client
            .getKVClient()
            .get(ByteSequence.from(electionPrefix, StandardCharsets.UTF_8), listOption())
            .get(5, TimeUnit.SECONDS);
    List<Candidate> list = r.getKvs().stream().map(PrefixWatch::candidate).toList();
    long rev = r.getHeader().getRevision();
    return new ElectionView(true, sortedCopy(list), rev, rev, clock.instant());
  }

  /** Waits at most {@code max} for the first listing to answer or fail; at once when it has. */
  void awaitFirstListing(Duration max) {
    try {
      firstListing.get(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // Not listed yet (or never completed exceptionally): the pass goes on with what it has.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized void close() {
    firstListing.complete(null);
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
    List<Runnable> tell = new ArrayList<>();
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
      // From the listed revision itself, not the next: etcd answers a progress request only when
      // every watch of the stream has reached its start revision, so on an etcd nobody writes to a
      // watch from the next revision would never hear progress and be restarted for silence every
      // SILENCE_LIMIT. The listed revision's own events, replayed, are skipped.
      watcher =
          watches.watch(
              prefix,
              revision,
              Watch.listener(
                  resp -> apply(resp, gen),
                  err -> fail(err, gen),
                  () -> fail(new IllegalStateException("watch closed by etcd"), gen)));
      // Seeing the election again is news too: status still says it is not observed.
      for (Subscriber s : subscribers.values()) {
        if (leaderMaybeChanged(s, revision) || !wasSynced) {
          tell.add(s.onChange);
        }
      }
    }
    firstListing.complete(null);
    tell.forEach(PrefixWatch::tell);
    scheduleWatchdog(gen);
  }

  private void apply(WatchResponse resp, long gen) {
    Map<Subscriber, Boolean> changed = new java.util.IdentityHashMap<>();
    synchronized (this) {
      if (closed || gen != generation) {
        return;
      }
      lastHeard = clock.instant();
      long known = revision;
      for (WatchEvent e : resp.getEvents()) {
        KeyValue kv = e.getKeyValue();
        if (kv.getModRevision() <= known) {
          // The listed revision's own events, replayed by a watch that starts there.
          continue;
        }
        String key = kv.getKey().toString(StandardCharsets.UTF_8);
        if (e.getEventType() == WatchEvent.EventType.PUT) {
          candidates.put(key, candidate(kv));
        } else if (e.getEventType() == WatchEvent.EventType.DELETE) {
          candidates.remove(key);
        }
        revision = Math.max(revision, kv.getModRevision());
        subscribersOf(key).forEach(s -> changed.put(s, true));
      }
      // Any candidate change matters, not only a new leader: a restarted member campaigning
      // again is what confirms that the leader key belongs to a dead process.
      changed.keySet().forEach(s -> leaderMaybeChanged(s, revision));
    }
    changed.keySet().forEach(s -> tell(s.onChange));
  }

  /**
   * The elections a key belongs to: those whose prefix it starts with. Prefixes of clusters on one
   * etcd do not nest or repeat (the newer one is refused), but a watch must not depend on it.
   */
  private List<Subscriber> subscribersOf(String key) {
    List<Subscriber> out = new ArrayList<>(1);
    for (Subscriber s : subscribers.values()) {
      if (key.startsWith(s.prefix)) {
        out.add(s);
      }
    }
    return out;
  }

  /** One subscriber's failure to hear must not keep the others from hearing. */
  private static void tell(Runnable onChange) {
    try {
      onChange.run();
    } catch (RuntimeException e) {
      log.warn("election listener failed: {}", e.toString());
    }
  }

  private void fail(Throwable error, long gen) {
    boolean wasSynced;
    Watch.Watcher broken;
    List<Runnable> tell;
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
      tell = subscribers.values().stream().map(s -> s.onChange).toList();
    }
    firstListing.complete(null);
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
        tell.forEach(PrefixWatch::tell);
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
      // Through this watch's stream, which sends one request for all the watches asking at
      // once: jetcd's client-wide request asks every stream of the client.
      Watch.Watcher current;
      synchronized (this) {
        current = watcher;
      }
      if (current != null) {
        current.requestProgress();
      }
      scheduleWatchdog(gen);
    } catch (RuntimeException e) {
      fail(new IllegalStateException("watchdog failed: " + e, e), gen);
    }
  }

  /** Records when the lowest key of one election changes; true when it did. Holds the lock. */
  private boolean leaderMaybeChanged(Subscriber s, long atRevision) {
    List<Candidate> sorted = sorted(s.prefix);
    String now = sorted.isEmpty() ? null : sorted.get(0).key();
    boolean changed = s.leaderSince == null || !Objects.equals(now, s.leaderKey);
    if (changed) {
      s.leaderKey = now;
      s.leaderSinceRevision = atRevision;
      s.leaderSince = clock.instant();
    }
    return changed;
  }

  /** The candidates of one election: the keys right under its prefix. */
  private List<Candidate> sorted(String electionPrefix) {
    return sortedCopy(
        new ArrayList<>(
            candidates.subMap(electionPrefix, electionPrefix + Character.MAX_VALUE).values()));
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
