package dev.operator.lightning.reconcile;

import dev.operator.lightning.lnd.LndRestClient;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One LND state stream per cluster to its newly elected leader while it activates, so the pass that
 * routes it runs the moment LND reports a new state, instead of at the next 250 ms poll, and can
 * route it in its first step on the stream's word ({@link #reportedActive}) instead of after every
 * member's state read. One attempt per leader pod while it is followed: an LND that refuses the
 * stream is polled as before.
 */
final class ActivationStreams {
  /** LND's state between its wallet's unlock and its RPC server's start. */
  static final String UNLOCKED = "UNLOCKED";

  /**
   * How often a leader whose stream said {@link #UNLOCKED} is asked its state until it is active:
   * in failovers under payments, lnd 0.21.3's stream reported RPC_ACTIVE about 200 ms after its
   * {@code /v1/state} already answered it, and the new leader stayed unrouted that long.
   */
  static final Duration UNLOCKED_POLL = Duration.ofMillis(50);

  /** How long such asking goes on at most; the stream and the pass's own reads go on after. */
  static final Duration UNLOCKED_POLL_LIMIT = Duration.ofSeconds(30);

  /** A read slower than this is given up: the next one comes soon, and a thread is freed. */
  static final Duration UNLOCKED_POLL_TIMEOUT = Duration.ofMillis(250);

  /**
   * Few threads: a read takes milliseconds, only activating leaders are asked, and a read that does
   * not answer holds one for {@link #UNLOCKED_POLL_TIMEOUT} at most.
   */
  private static final java.util.concurrent.ScheduledExecutorService POLLS =
      java.util.concurrent.Executors.newScheduledThreadPool(
          4, dev.operator.lightning.DaemonThreads.named("activation-poll"));

  /**
   * @param process the lnd container (id and restart count) running when the stream was opened
   * @param activeAt when the stream last reported an active state, null since any other
   */
  private record Followed(
      String podUid,
      String process,
      Runnable cancel,
      AtomicBoolean open,
      AtomicReference<Instant> activeAt) {}

  private final Map<String, Followed> streams = new ConcurrentHashMap<>();
  private final Consumer<String> wake;
  private final Clock clock;

  /**
   * @param wake starts a pass of the cluster with this key
   */
  ActivationStreams(Consumer<String> wake, Clock clock) {
    this.wake = wake;
    this.clock = clock;
  }

  /**
   * The followed pod, if its open stream reported an active state no longer than {@code within} ago
   * and the same lnd process still runs in it (a restarted container ends the stream, and its new
   * process is a follower): LND's own word, as good as a state read.
   */
  Optional<String> reportedActive(String clusterKey, List<Pod> pods, Duration within) {
    Followed f = streams.get(clusterKey);
    if (f == null || !f.open().get() || f.process() == null) {
      return Optional.empty();
    }
    Instant at = f.activeAt().get();
    if (at == null || Duration.between(at, clock.instant()).compareTo(within) > 0) {
      return Optional.empty();
    }
    return pods.stream()
        .filter(p -> f.podUid().equals(p.getMetadata().getUid()))
        .filter(p -> f.process().equals(Leadership.runningLndProcess(p)))
        .map(p -> p.getMetadata().getName())
        .findFirst();
  }

  /** Whether a stream to this pod is open now and has delivered a state. */
  boolean follows(String clusterKey, String podUid) {
    Followed f = streams.get(clusterKey);
    return f != null && f.podUid().equals(podUid) && f.open().get();
  }

  /**
   * Opens a stream to the pod unless one was already tried for it.
   *
   * @param process the pod's running lnd process ({@link Leadership#runningLndProcess}), or null
   */
  void follow(
      String clusterKey, String podUid, String process, LndRestClient lnd, String host, int port) {
    Followed current = streams.get(clusterKey);
    if (current != null && current.podUid().equals(podUid)) {
      return;
    }
    stop(clusterKey);
    // Open once lnd sent its first state (it sends the current one at once): until then the pass
    // keeps polling as fast as without a stream.
    AtomicBoolean open = new AtomicBoolean(false);
    AtomicBoolean ended = new AtomicBoolean(false);
    AtomicReference<Instant> activeAt = new AtomicReference<>();
    Runnable cancel =
        lnd.subscribeState(
            host,
            port,
            ClusterReconciliation.ACTIVATION_WINDOW.plus(Duration.ofSeconds(5)),
            state -> {
              activeAt.set(Leadership.isActive(state) ? clock.instant() : null);
              open.set(!ended.get());
              wake.accept(clusterKey);
              if (UNLOCKED.equals(state)) {
                askUntilActive(clusterKey, lnd, host, port, ended, activeAt);
              }
            },
            () -> {
              ended.set(true);
              open.set(false);
              activeAt.set(null);
            });
    streams.put(clusterKey, new Followed(podUid, process, cancel, open, activeAt));
  }

  /**
   * Reads the leader's state every {@link #UNLOCKED_POLL} until it is active, its stream ends or
   * {@link #UNLOCKED_POLL_LIMIT} has passed; an active answer counts as the stream's own word.
   */
  private void askUntilActive(
      String clusterKey,
      LndRestClient lnd,
      String host,
      int port,
      AtomicBoolean ended,
      AtomicReference<Instant> activeAt) {
    Instant until = clock.instant().plus(UNLOCKED_POLL_LIMIT);
    AtomicReference<java.util.concurrent.ScheduledFuture<?>> task = new AtomicReference<>();
    AtomicBoolean done = new AtomicBoolean();
    Runnable ask =
        () -> {
          if (done.get()) {
            return;
          }
          if (ended.get() || activeAt.get() != null || clock.instant().isAfter(until)) {
            done.set(true);
          } else if (lnd.state(host, port, UNLOCKED_POLL_TIMEOUT)
                  .filter(Leadership::isActive)
                  .isPresent()
              && !ended.get()) {
            activeAt.compareAndSet(null, clock.instant());
            done.set(true);
            wake.accept(clusterKey);
          }
          java.util.concurrent.ScheduledFuture<?> t = task.get();
          if (done.get() && t != null) {
            t.cancel(false);
          }
        };
    task.set(
        POLLS.scheduleWithFixedDelay(
            ask,
            UNLOCKED_POLL.toMillis(),
            UNLOCKED_POLL.toMillis(),
            java.util.concurrent.TimeUnit.MILLISECONDS));
    if (done.get()) {
      task.get().cancel(false);
    }
  }

  void stop(String clusterKey) {
    Followed f = streams.remove(clusterKey);
    if (f != null) {
      f.cancel().run();
    }
  }

  void retainOnly(Set<String> clusterKeys) {
    for (String key : Set.copyOf(streams.keySet())) {
      if (!clusterKeys.contains(key)) {
        stop(key);
      }
    }
  }
}
