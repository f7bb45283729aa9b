package dev.operator.lightning.reconcile;

import dev.operator.lightning.lnd.LndRestClient;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One LND state stream per cluster to its newly elected leader while it activates, so the pass that
 * routes it runs the moment LND reports a new state, instead of at the next 250 ms poll. One
 * attempt per leader pod while it is followed: an LND that refuses the stream is polled as before.
 */
final class ActivationStreams {
  private record Followed(String podUid, Runnable cancel, AtomicBoolean open) {}

  private final Map<String, Followed> streams = new ConcurrentHashMap<>();
  private final Consumer<String> wake;

  /**
   * @param wake starts a pass of the cluster with this key
   */
  ActivationStreams(Consumer<String> wake) {
    this.wake = wake;
  }

  /** Whether a stream to this pod is open now and has delivered a state. */
  boolean follows(String clusterKey, String podUid) {
    Followed f = streams.get(clusterKey);
    return f != null && f.podUid().equals(podUid) && f.open().get();
  }

  /** Opens a stream to the pod unless one was already tried for it. */
  void follow(String clusterKey, String podUid, LndRestClient lnd, String host, int port) {
    Followed current = streams.get(clusterKey);
    if (current != null && current.podUid().equals(podUid)) {
      return;
    }
    stop(clusterKey);
    // Open once lnd sent its first state (it sends the current one at once): until then the pass
    // keeps polling as fast as without a stream.
    AtomicBoolean open = new AtomicBoolean(false);
    AtomicBoolean ended = new AtomicBoolean(false);
    Runnable cancel =
        lnd.subscribeState(
            host,
            port,
            ClusterReconciliation.ACTIVATION_WINDOW.plus(Duration.ofSeconds(5)),
            state -> {
              open.set(!ended.get());
              wake.accept(clusterKey);
            },
            () -> {
              ended.set(true);
              open.set(false);
            });
    streams.put(clusterKey, new Followed(podUid, cancel, open));
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
