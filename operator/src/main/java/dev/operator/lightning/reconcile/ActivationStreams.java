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
            },
            () -> {
              ended.set(true);
              open.set(false);
              activeAt.set(null);
            });
    streams.put(clusterKey, new Followed(podUid, process, cancel, open, activeAt));
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
