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
import java.util.function.Supplier;

/**
 * Reads of members' LND state for every cluster, on a bounded pool. A member whose read failed
 * slowly (a timeout: an unreachable pod) is not read again until its backoff has passed, and reads
 * as unknown meanwhile, so one unreachable member costs its own cluster at most one timeout and
 * never holds pool threads other clusters need. Quick failures (a process starting, refusing the
 * connection) are not backed off: they cost nothing and the member may become leader any moment.
 */
final class MemberStateReads implements AutoCloseable {
  /** A failed read that took at least this long was a timeout, not a refusal. */
  static final Duration SLOW = Duration.ofMillis(500);

  static final Duration FIRST_BACKOFF = Duration.ofMillis(250);

  /**
   * Short, because a member that comes back may claim to be active and must be fenced: at most this
   * long goes by before it is read again.
   */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  /** Threads shared by all clusters; measured with {@code make bench-scale}. */
  static final int THREADS = 32;

  /** A member's consecutive slow failures and the earliest time of its next read. */
  record Backoff(int failures, Instant until) {
    /** The backoff after a read that ended at {@code now}; null once a read succeeds. */
    static Backoff after(Backoff previous, boolean ok, Duration took, Instant now) {
      if (ok) {
        return null;
      }
      if (took.compareTo(SLOW) < 0) {
        return previous; // a refusal: nothing waited on it
      }
      int failures = previous == null ? 1 : previous.failures + 1;
      long ms = FIRST_BACKOFF.toMillis() << Math.min(failures - 1, 16);
      return new Backoff(failures, now.plusMillis(Math.min(ms, MAX_BACKOFF.toMillis())));
    }

    boolean waiting(Instant now) {
      return now.isBefore(until);
    }
  }

  private final ExecutorService pool =
      Executors.newFixedThreadPool(THREADS, DaemonThreads.named("lnd-state-reader"));
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
    return CompletableFuture.supplyAsync(
        () -> {
          Instant start = clock.instant();
          Optional<String> state = read.get();
          Instant end = clock.instant();
          Backoff next =
              Backoff.after(
                  backoffs.get(member), state.isPresent(), Duration.between(start, end), end);
          if (next == null) {
            backoffs.remove(member);
          } else {
            backoffs.put(member, next);
          }
          return state;
        },
        pool);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
