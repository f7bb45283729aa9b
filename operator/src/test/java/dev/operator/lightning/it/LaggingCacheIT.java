package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.reconcile.ClusterReads;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Passes read pods from informer caches, which lag the API server. A lease is revoked only after a
 * live read of the leader's pod confirms its process ended: here the pod cache is made to show the
 * running leader as terminated, and its lease must survive; once the leader really dies, the same
 * passes revoke it.
 */
class LaggingCacheIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static EtcdServer etcd;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = ApiServerSupport.client();
    etcd = EtcdServer.start();
  }

  @AfterAll
  static void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void aCachedCopyShowingTheLeaderTerminatedRevokesNothingUntilTheApiServerAgrees() {
    try (MemberScenario s = new MemberScenario(client, etcd, "lagcache", "iota", 90, null);
        CachedReads caches = new CachedReads(client, client, s.ns)) {
      LaggingPods pods = new LaggingPods(caches.cache(Pod.class));
      caches.reads().cache(Pod.class, pods);
      try (Passes passes = new Passes(Reconciliations.direct(client, caches.reads()), s)) {
        String leader = s.awaitRoutedLeader(null);
        long lease = s.kubelet.standIn(leader).leaseId();

        // The cache still holds an earlier version in which the leader's lnd had terminated.
        pods.stale.put(
            leader, terminatedCopy(client.pods().inNamespace(s.ns).withName(leader).get()));
        int seen = passes.count();
        await().atMost(DEADLINE).until(() -> passes.count() >= seen + 20);
        assertThat(s.events("LeaseRevoked"))
            .as("revocations while only the cache showed the leader terminated")
            .isEmpty();
        assertThat(leaseTtl(lease)).as("the running leader's lease").isPositive();
        assertThat(s.routed()).as("routed leader").isEqualTo(leader);

        // The leader dies for real: the live read agrees and the lease is revoked.
        pods.stale.clear();
        s.kubelet.killHard(leader);
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () ->
                    assertThat(s.events("LeaseRevoked"))
                        .as("revocation once the leader's process ended")
                        .anyMatch(m -> m.contains(leader)));
        s.assertInvariantHeld();
      }
    }
  }

  /** The pod as the API server had it, with its lnd container terminated. */
  private static Pod terminatedCopy(Pod live) {
    Pod copy = new PodBuilder(live).build();
    for (ContainerStatus c : copy.getStatus().getContainerStatuses()) {
      if (c.getName().equals("lnd")) {
        c.setState(
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(137)
                .withReason("Error")
                .endTerminated()
                .build());
        c.setReady(false);
      }
    }
    return copy;
  }

  private static long leaseTtl(long lease) {
    return EtcdLeases.ttl(etcd, lease);
  }

  /** The informer's pod cache with some pods shown as an older copy. */
  private static final class LaggingPods implements ClusterReads.Cache<Pod> {
    final Map<String, Pod> stale = new ConcurrentHashMap<>();
    private final ClusterReads.Cache<Pod> real;

    LaggingPods(ClusterReads.Cache<Pod> real) {
      this.real = real;
    }

    @Override
    public Optional<Pod> get(String namespace, String name) {
      Pod p = stale.get(name);
      return p != null ? Optional.of(p) : real.get(namespace, name);
    }

    @Override
    public Stream<Pod> list(String namespace) {
      return real.list(namespace).map(p -> stale.getOrDefault(p.getMetadata().getName(), p));
    }
  }
}
