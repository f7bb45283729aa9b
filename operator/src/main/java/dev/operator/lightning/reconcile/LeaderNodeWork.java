package dev.operator.lightning.reconcile;

import dev.operator.lightning.DaemonThreads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work a pass does on the routed leader's node (GetInfo, the channel backup, its peers), on a
 * bounded pool shared by every cluster. A pass waits for it at most {@link #WAIT}: a leader cut off
 * from etcd still answers its state but not GetInfo, and a pass waiting out that read's timeout
 * kept an election change seen meanwhile unrouted until it ended (1.2 s measured). Work that ends
 * later wakes its cluster, and the pass it wakes takes the outcome instead of starting new work;
 * passes in between report the outcome taken before. One piece of work per cluster at a time, and
 * only for the leader its last pass found routed and active. A leader whose work failed slowly is
 * not worked on again until its backoff has passed.
 */
final class LeaderNodeWork implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderNodeWork.class);

  /** How long a pass waits for the work; a reachable leader answers well within it. */
  static final Duration WAIT = Duration.ofMillis(50);

  /** Work that failed after at least this long waited on a timeout. */
  static final Duration SLOW = MemberStateReads.SLOW;

  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);

  /** Longest pause between attempts on a leader whose reads keep timing out. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** Threads shared by all clusters; each holds a leader's work for up to its timeouts. */
  static final int THREADS = 16;

  /** Work waiting for a thread; beyond it a pass goes without its leader's node this once. */
  static final int QUEUED = 4096;

  /**
   * What the work found.
   *
   * @param node the node read, or unreadable
   * @param look when to look at the leader's peers again, or null
   * @param problems what the work could not do (a backup it could not keep)
   */
  record Outcome(LeaderNode.Result node, Duration look, List<Problem> problems) {}

  /** The last work that ended for a cluster; {@code outcome} is null when the work failed. */
  private record Ended(
      String process, Outcome outcome, boolean taken, int slowFailures, Instant retryAt) {
    Ended asTaken() {
      return new Ended(process, outcome, true, slowFailures, retryAt);
    }
  }

  /** Work under way for one leader process. */
  private static final class Running {
    final String process;
    final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

    /** A pass gave up waiting: the end of the work must wake the cluster. */
    final AtomicBoolean wake = new AtomicBoolean();

    Running(String process) {
      this.process = process;
    }
  }

  private final ThreadPoolExecutor pool;

  /**
   * Keyed by cluster: one piece of work per cluster at a time, so a deposed leader's late work and
   * its successor's never write the channel backup or the peer memory together.
   */
  private final Map<String, Running> running = new ConcurrentHashMap<>();

  /** Keyed by cluster. */
  private final Map<String, Ended> ended = new ConcurrentHashMap<>();

  /**
   * The leader process each cluster's last pass found routed and active: queued work for another is
   * dropped, and work under way checks it before acting on the leader's peers.
   */
  private final Map<String, String> current = new ConcurrentHashMap<>();

  private final Consumer<String> wake;
  private final Clock clock;
  private final Duration wait;

  /**
   * @param wake runs a pass over the named cluster
   */
  LeaderNodeWork(Consumer<String> wake, Clock clock) {
    this(wake, clock, WAIT, THREADS);
  }

  /**
   * @param wait how long a pass waits for the work (tests on a loaded machine wait longer for work
   *     they need to see end within it)
   * @param threads how many pieces of work run at once
   */
  LeaderNodeWork(Consumer<String> wake, Clock clock, Duration wait, int threads) {
    this.wake = wake;
    this.clock = clock;
    this.wait = wait;
    this.pool = pool(threads);
  }

  /**
   * The latest outcome of work on the cluster's leader: work that ended since the last pass took
   * one, or new work if it ends within the wait; otherwise the outcome taken before for the same
   * process, if any (so what it found, a backup it could not keep, stays reported while new work
   * runs), while new work goes on and wakes the cluster when it ends, or the leader backs off.
   *
   * @param cluster the cluster's key, which {@code wake} is given
   * @param process the leader's running process (pod uid and container): work on an earlier process
   *     is never taken for a later one
   */
  Optional<Outcome> take(String cluster, String process, Supplier<Outcome> work) {
    current.put(cluster, process);
    Ended last = ended.get(cluster);
    boolean same = last != null && last.process().equals(process);
    Optional<Outcome> kept = same ? Optional.ofNullable(last.outcome()) : Optional.empty();
    if (same && !last.taken()) {
      ended.put(cluster, last.asTaken());
      return kept;
    }
    if (same && last.retryAt() != null && clock.instant().isBefore(last.retryAt())) {
      return kept;
    }
    Running r = running.get(cluster);
    if (r != null && !r.process.equals(process)) {
      // The predecessor's work ends first (within its timeouts); its end wakes the cluster.
      r.wake.set(true);
      return kept;
    }
    if (r == null) {
      r = start(cluster, process, work);
      if (r == null) {
        return kept;
      }
    }
    try {
      return Optional.of(taken(cluster, r.outcome.get(wait.toMillis(), TimeUnit.MILLISECONDS)));
    } catch (TimeoutException slow) {
      r.wake.set(true);
      // Ended between the timeout and the flag: it saw no flag, so take it now.
      return r.outcome.isDone() && !r.outcome.isCompletedExceptionally()
          ? Optional.of(taken(cluster, r.outcome.join()))
          : kept;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return kept;
    } catch (ExecutionException e) {
      return kept;
    }
  }

  /** The cluster's pass found no routed, active leader: no work goes on for one it found before. */
  void noLeader(String cluster) {
    current.remove(cluster);
  }

  /** Whether the process is still the leader the cluster's last pass found routed and active. */
  boolean isCurrent(String cluster, String process) {
    return process.equals(current.get(cluster));
  }

  private Outcome taken(String cluster, Outcome outcome) {
    ended.computeIfPresent(cluster, (k, e) -> e.outcome() == outcome ? e.asTaken() : e);
    return outcome;
  }

  private Running start(String cluster, String process, Supplier<Outcome> work) {
    Running r = new Running(process);
    Running other = running.putIfAbsent(cluster, r);
    if (other != null) {
      return other.process.equals(process) ? other : null;
    }
    try {
      pool.execute(() -> run(cluster, r, work));
      return r;
    } catch (RejectedExecutionException full) {
      running.remove(cluster, r);
      return null;
    }
  }

  private void run(String cluster, Running r, Supplier<Outcome> work) {
    Instant start = clock.instant();
    Outcome outcome = null;
    boolean attempted = false;
    try {
      // Queued behind other clusters' work, its leader may have been deposed meanwhile.
      if (isCurrent(cluster, r.process)) {
        attempted = true;
        outcome = work.get();
      }
    } catch (RuntimeException e) {
      log.warn("{}: work on the leader's node failed: {}", cluster, e.toString());
    } finally {
      if (attempted) {
        record(cluster, r.process, outcome, Duration.between(start, clock.instant()));
      }
      running.remove(cluster, r);
      if (outcome == null) {
        r.outcome.completeExceptionally(new IllegalStateException("no outcome"));
      } else {
        r.outcome.complete(outcome);
      }
      if (r.wake.get()) {
        wake.accept(cluster);
      }
    }
  }

  private void record(String cluster, String process, Outcome outcome, Duration took) {
    Instant end = clock.instant();
    Ended previous = ended.get(cluster);
    int failures =
        previous == null || !previous.process().equals(process) ? 0 : previous.slowFailures();
    Instant retryAt = null;
    if (outcome != null && outcome.node().readable()) {
      failures = 0;
    } else if (took.compareTo(SLOW) >= 0) {
      failures++;
      long ms = FIRST_BACKOFF.toMillis() << Math.min(failures - 1, 16);
      retryAt = end.plusMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
    }
    ended.put(cluster, new Ended(process, outcome, outcome == null, failures, retryAt));
  }

  private static ThreadPoolExecutor pool(int threads) {
    ThreadPoolExecutor p =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(QUEUED),
            DaemonThreads.named("leader-node-work"),
            new ThreadPoolExecutor.AbortPolicy());
    p.allowCoreThreadTimeOut(true);
    return p;
  }

  /** Forgets the clusters that are gone. */
  void retainOnly(java.util.Set<String> clusters) {
    ended.keySet().removeIf(k -> !clusters.contains(k));
    current.keySet().removeIf(k -> !clusters.contains(k));
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
