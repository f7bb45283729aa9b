package dev.operator.lightning.reconcile;

import dev.operator.lightning.DaemonThreads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reads of members' LND state for every cluster, on bounded pools. A member whose read failed
 * slowly (a timeout: an unreachable pod) is not read again until its backoff has passed, and reads
 * as unknown meanwhile. Quick failures (a process starting, refusing the connection) are not backed
 * off: they cost nothing and the member may become leader any moment.
 *
 * <p>Members with a slow failure behind them are read on a small pool of their own, and only when
 * one of its threads is free (otherwise they read as unknown this pass and are tried on the next;
 * turned away twice in a row, on the shared threads). A lost node can carry hundreds of members;
 * their timeouts would otherwise fill the shared threads, and every cluster's pass, waiting for its
 * members' reads, would queue behind them.
 */
final class MemberStateReads implements AutoCloseable {
  /** A failed read that took at least this long was a timeout, not a refusal. */
  static final Duration SLOW = Duration.ofMillis(500);

  static final Duration FIRST_BACKOFF = Duration.ofMillis(250);

  /**
   * Short, because a member that comes back may claim to be active and must be fenced: at most this
   * long goes by before it is tried again (and at most {@link #MAX_TURNED_AWAY} passes more while
   * the suspect threads are all taken).
   */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  /** Threads shared by all clusters; measured with {@code make bench-scale}. */
  static final int THREADS = 32;

  /**
   * Threads for members with a slow failure behind them, so that however many there are (a lost
   * node's), they hold at most these; each holds one for up to a connect or read timeout.
   */
  static final int SUSPECT_THREADS = 8;

  /**
   * Times in a row a suspect member may find every suspect thread taken before it is read on the
   * shared threads: one that answers again is never kept unread for long by other clusters'
   * unreachable members, and those cost the shared threads one read in three at most.
   */
  static final int MAX_TURNED_AWAY = 2;

  /**
   * A member's consecutive slow failures, the earliest time of its next read, and how often in a
   * row it found the suspect threads taken since.
   */
  record Backoff(int failures, Instant until, int turnedAway) {
    /** The backoff after a read that ended at {@code now}; null once a read succeeds. */
    static Backoff after(Backoff previous, boolean ok, Duration took, Instant now) {
      if (ok) {
        return null;
      }
      if (took.compareTo(SLOW) < 0) {
        // A refusal: nothing waited on it.
        return previous == null ? null : new Backoff(previous.failures, previous.until, 0);
      }
      int failures = previous == null ? 1 : previous.failures + 1;
      long ms = FIRST_BACKOFF.toMillis() << Math.min(failures - 1, 16);
      return new Backoff(failures, now.plusMillis(Math.min(ms, MAX_BACKOFF.toMillis())), 0);
    }

    boolean waiting(Instant now) {
      return now.isBefore(until);
    }

    Backoff turnedAwayOnce() {
      return new Backoff(failures, until, turnedAway + 1);
    }

    boolean readOnSharedThreads() {
      return turnedAway >= MAX_TURNED_AWAY;
    }
  }

  private final ExecutorService pool =
      Executors.newFixedThreadPool(THREADS, DaemonThreads.named("lnd-state-reader"));

  /** No queue: a suspect read starts on a free thread or not at all. */
  private final ExecutorService suspects =
      new ThreadPoolExecutor(
          SUSPECT_THREADS,
          SUSPECT_THREADS,
          0,
          TimeUnit.MILLISECONDS,
          new SynchronousQueue<>(),
          DaemonThreads.named("lnd-state-reader-suspect"),
          new ThreadPoolExecutor.AbortPolicy());

  private final Map<String, Backoff> backoffs = new ConcurrentHashMap<>();
  private final Clock clock;

  MemberStateReads(Clock clock) {
    this.clock = clock;
  }

  /**
   * @param member identifies one process (the pod's uid): a new pod starts without backoff
   * @param read the state read itself; empty when it failed
   */
  CompletableFuture<Optional<String>> read(String member, Supplier<Optional<String>> read) {
    Instant now = clock.instant();
    if (backoffs.size() > 4096) {
      // Pods that are gone leave their entry behind; one long past its time is of no use.
      backoffs.values().removeIf(x -> x.until().isBefore(now.minus(Duration.ofMinutes(10))));
    }
    Backoff b = backoffs.get(member);
    if (b != null && b.waiting(now)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    boolean suspect = b != null && !b.readOnSharedThreads();
    try {
      return CompletableFuture.supplyAsync(() -> timed(member, read), suspect ? suspects : pool);
    } catch (RejectedExecutionException busy) {
      // Every suspect thread waits on another unreachable member: this one reads as unknown, as
      // during its backoff, and is tried again on a later pass.
      backoffs.computeIfPresent(member, (k, v) -> v.turnedAwayOnce());
      return CompletableFuture.completedFuture(Optional.empty());
    }
  }

  private Optional<String> timed(String member, Supplier<Optional<String>> read) {
    Instant start = clock.instant();
    Optional<String> state = read.get();
    Instant end = clock.instant();
    Backoff next =
        Backoff.after(backoffs.get(member), state.isPresent(), Duration.between(start, end), end);
    if (next == null) {
      backoffs.remove(member);
    } else {
      backoffs.put(member, next);
    }
    return state;
  }

  @Override
  public void close() {
    pool.shutdownNow();
    suspects.shutdownNow();
  }
}
