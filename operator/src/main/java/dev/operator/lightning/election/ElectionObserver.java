package dev.operator.lightning.election;

import dev.operator.lightning.DaemonThreads;
import io.etcd.jetcd.Client;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one place that knows who leads each cluster. Everything else asks it. A change of leader (or
 * loss of sight of the election) calls the listener with the cluster's key at once, which wakes the
 * reconciler without polling.
 */
public final class ElectionObserver implements AutoCloseable {
  private final EtcdClients clients = new EtcdClients();
  private final ScheduledExecutorService scheduler =
      Executors.newScheduledThreadPool(2, DaemonThreads.named("election-observer"));
  private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();

  /** One watch per etcd and watched prefix, shared by every election under that prefix. */
  private final Map<Watched, PrefixWatch> watches = new HashMap<>();

  /** One gRPC watch stream per etcd (and credentials), carrying the watches of every prefix. */
  private final Map<EtcdTarget, WatchStream> streams = new HashMap<>();

  private final Consumer<String> listener;
  private final Clock clock;

  private record Watched(EtcdTarget target, String root) {}

  private record Tracked(EtcdTarget target, String prefix, String root, PrefixWatch watch) {}

  /**
   * @param listener called with the cluster key whenever its leader may have changed
   */
  public ElectionObserver(Consumer<String> listener, Clock clock) {
    this.listener = listener;
    this.clock = clock;
  }

  /** Follows the election of one cluster through a watch of its own prefix. */
  public void track(String clusterKey, EtcdTarget target, String fullPrefix) {
    track(clusterKey, target, fullPrefix, fullPrefix);
  }

  /**
   * Follows the election of one cluster; a no-op when already following it with the same target and
   * prefix. {@code fullPrefix} already includes the etcd key namespace and ends with "/" (Go's
   * election appends it to the configured prefix). Clusters whose prefixes lie under the same
   * {@code root} on the same etcd share one watch of the root.
   */
  public synchronized void track(
      String clusterKey, EtcdTarget target, String fullPrefix, String root) {
    Tracked t = tracked.get(clusterKey);
    if (t != null
        && t.target().equals(target)
        && t.prefix().equals(fullPrefix)
        && t.root().equals(root)) {
      return;
    }
    if (!fullPrefix.startsWith(root)) {
      throw new IllegalArgumentException("election prefix " + fullPrefix + " is not under " + root);
    }
    untrack(clusterKey);
    Watched w = new Watched(target, root);
    PrefixWatch watch = watches.get(w);
    if (watch == null) {
      Client client = clients.acquire(target);
      WatchStream stream =
          streams.computeIfAbsent(target, etcd -> new WatchStream(etcd.endpoint(), client, clock));
      watch = new PrefixWatch(root, client, stream::watch, root, scheduler, clock);
      watches.put(w, watch);
      watch.start();
    }
    watch.subscribe(clusterKey, fullPrefix, () -> listener.accept(clusterKey));
    tracked.put(clusterKey, new Tracked(target, fullPrefix, root, watch));
  }

  public synchronized void untrack(String clusterKey) {
    Tracked t = tracked.remove(clusterKey);
    if (t != null
        && !t.watch().unsubscribe(clusterKey)
        && watches.remove(new Watched(t.target(), t.root()), t.watch())) {
      t.watch().close();
      if (watches.keySet().stream().noneMatch(w -> w.target().equals(t.target()))) {
        WatchStream stream = streams.remove(t.target());
        if (stream != null) {
          stream.close();
        }
      }
      clients.release(t.target());
    }
  }

  /**
   * Starts the cluster's pass as a change of its election would: for news of its leader that comes
   * from elsewhere (the leader's own state stream).
   */
  public void wake(String clusterKey) {
    listener.accept(clusterKey);
  }

  public Set<String> trackedClusters() {
    return Set.copyOf(tracked.keySet());
  }

  /**
   * Waits at most {@code max} for the first listing of the watch that follows the cluster's
   * election, if it has not answered or failed yet: an operator that just started would otherwise
   * report every cluster's election unobserved on its first pass, and write each status twice.
   */
  public void awaitFirstListing(String clusterKey, java.time.Duration max) {
    Tracked t = tracked.get(clusterKey);
    if (t != null) {
      t.watch().awaitFirstListing(max);
    }
  }

  public ElectionView view(String clusterKey) {
    Tracked t = tracked.get(clusterKey);
    return t == null ? ElectionView.unsynced() : t.watch().view(clusterKey);
  }

  /** Reads the election straight from etcd (linearizable), bypassing the watch. */
  public ElectionView readNow(String clusterKey) throws Exception {
    Tracked t = Objects.requireNonNull(tracked.get(clusterKey), "not tracked: " + clusterKey);
    return t.watch().readNow(t.prefix());
  }

  /** Revokes a session lease, which deletes the election key attached to it. */
  public void revoke(String clusterKey, long leaseId) throws Exception {
    Tracked t = Objects.requireNonNull(tracked.get(clusterKey), "not tracked: " + clusterKey);
    clients.acquire(t.target()).getLeaseClient().revoke(leaseId).get(5, TimeUnit.SECONDS);
    clients.release(t.target());
  }

  /**
   * Simulates a broken connection of the watch one cluster's election is followed through (tests).
   */
  public void breakWatch(String clusterKey) {
    Tracked t = tracked.get(clusterKey);
    if (t != null) {
      t.watch().breakWatch();
    }
  }

  /** Number of gRPC election watch streams open to one endpoint. */
  public synchronized long openWatches(String endpoint) {
    return streams.entrySet().stream()
        .filter(e -> e.getKey().endpoint().equals(endpoint) && e.getValue().isOpen())
        .count();
  }

  /** Number of gRPC election watch streams open, to every endpoint. */
  public synchronized long openWatches() {
    return streams.values().stream().filter(WatchStream::isOpen).count();
  }

  /** Number of watched prefixes, each one watch on its etcd's stream. */
  public synchronized long watchedPrefixes() {
    return watches.size();
  }

  /** Number of open etcd clients to one endpoint. */
  public long openClients(String endpoint) {
    return clients.open(endpoint);
  }

  @Override
  public synchronized void close() {
    for (String k : Set.copyOf(tracked.keySet())) {
      untrack(k);
    }
    scheduler.shutdownNow();
  }
}
