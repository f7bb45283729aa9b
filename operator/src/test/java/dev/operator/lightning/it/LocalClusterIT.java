package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.SandboxKubelet;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The product as a user sees it, on the local cluster: the demo example (3 LND members, managed
 * etcd of 3) applied to a real kube-apiserver and kube-controller-manager; the StatefulSet's etcd
 * pods and the member pods run as the real etcd and lnd in their own network namespaces, with their
 * probes executed as declared; {@code lncli getinfo} goes to the leader Service's address through
 * the service proxy, before and after a hard kill and a graceful deletion of the leader, and while
 * an etcd member is lost and recreated on its claim.
 */
class LocalClusterIT {
  private static final String NS = "e2e";
  private static final String NAME = DemoCluster.NAME;
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @Test
  void demoClusterOnManagedEtcdElectsServesLncliAndFailsOverKeepingItsIdentity() {
    try (SecretScan scan = new SecretScan();
        DemoCluster demo = DemoCluster.start(NS)) {
      KubernetesClient client = demo.client();
      Instant applied = Instant.now();
      demo.apply();

      String first = demo.awaitLeader(null, DEADLINE);
      System.out.printf(
          "local cluster: apply -> leader %s active, routed, wallet created in %d ms%n",
          first, Duration.between(applied, Instant.now()).toMillis());
      assertEtcdPodsRunByTheKubelet(client);
      assertOnlyTheLeaderIsPodReady(client, first);
      assertThat(Lncli.throughLeaderService(demo.cluster, NS, NAME, "state", Lncli.SERVER_ACTIVE))
          .as("lncli state through the leader Service")
          .isEqualTo("SERVER_ACTIVE");
      String identity = Lncli.identityThroughLeaderService(demo.cluster, NS, NAME);
      assertThat(identity).hasSize(66);

      Instant killed = Instant.now();
      demo.cluster.kubelet().killContainer(first);
      String second = demo.awaitLeader(first, DEADLINE);
      System.out.printf(
          "local cluster: kill -9 of %s -> %s active and routed in %d ms%n",
          first, second, Duration.between(killed, Instant.now()).toMillis());
      assertThat(Lncli.identityThroughLeaderService(demo.cluster, NS, NAME))
          .as("identity through the leader Service after a hard kill")
          .isEqualTo(identity);

      Instant deleted = Instant.now();
      client.pods().inNamespace(NS).withName(second).delete();
      String third = demo.awaitLeader(second, DEADLINE);
      System.out.printf(
          "local cluster: graceful deletion of %s -> %s active and routed in %d ms%n",
          second, third, Duration.between(deleted, Instant.now()).toMillis());
      assertThat(Lncli.identityThroughLeaderService(demo.cluster, NS, NAME))
          .as("identity through the leader Service after a graceful deletion")
          .isEqualTo(identity);

      // An etcd member is lost: the StatefulSet recreates it on its claim, it rejoins with its
      // data, and the leader keeps serving on the quorum of two meanwhile.
      String uid =
          client.pods().inNamespace(NS).withName(NAME + "-etcd-0").get().getMetadata().getUid();
      client.pods().inNamespace(NS).withName(NAME + "-etcd-0").withGracePeriod(0).delete();
      assertThat(Lncli.identityThroughLeaderService(demo.cluster, NS, NAME))
          .as("identity with one etcd member gone")
          .isEqualTo(identity);
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                Pod etcd0 = client.pods().inNamespace(NS).withName(NAME + "-etcd-0").get();
                assertThat(etcd0).as("etcd-0 recreated by the StatefulSet").isNotNull();
                assertThat(etcd0.getMetadata().getUid()).isNotEqualTo(uid);
                assertThat(ready(etcd0)).as("etcd-0 rejoined and Ready").isTrue();
                assertThat(demo.status().leader.pod).isEqualTo(third);
              });
      assertThat(Lncli.identityThroughLeaderService(demo.cluster, NS, NAME))
          .as("identity after etcd-0 rejoined")
          .isEqualTo(identity);
      assertThat(demo.failedReconciliations()).as("reconciliations that threw").isZero();
      // Invariant 7 over the whole run: no secret it created reached the operator's log, an
      // event, the status or a pod's spec.
      assertThat(scan.logged("WalletCreated") && scan.logged("Failover"))
          .as("the log of the wallet's creation and of the failovers was recorded")
          .isTrue();
      scan.assertNoSecretIn(client, NS);
      assertThat(podCreations(client, NAME + "-etcd-0"))
          .as("etcd-0 created by the StatefulSet: once at the start, once after the deletion")
          .isEqualTo(2);
    }
  }

  /** All three turn Ready by their probe; a quorum of two is enough for a leader before that. */
  private static void assertEtcdPodsRunByTheKubelet(KubernetesClient client) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .pods()
                            .inNamespace(NS)
                            .withLabel("app.kubernetes.io/component", "etcd")
                            .list()
                            .getItems())
                    .as("etcd pods created by the StatefulSet controller")
                    .hasSize(3)
                    .allSatisfy(
                        p -> {
                          assertThat(p.getMetadata().getOwnerReferences())
                              .anySatisfy(o -> assertThat(o.getKind()).isEqualTo("StatefulSet"));
                          assertThat(p.getSpec().getNodeName()).isEqualTo(SandboxKubelet.NODE);
                          assertThat(ready(p))
                              .as("%s Ready by its /readyz probe", p.getMetadata().getName())
                              .isTrue();
                        }));
  }

  /** The member readiness probe (exec, wget to 127.0.0.1 in the pod) passes on the leader only. */
  private static void assertOnlyTheLeaderIsPodReady(KubernetesClient client, String leader) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              List<Pod> members =
                  client
                      .pods()
                      .inNamespace(NS)
                      .withLabel("app.kubernetes.io/component", "lnd")
                      .list()
                      .getItems();
              assertThat(members).hasSize(3);
              for (Pod p : members) {
                assertThat(ready(p))
                    .as("Ready condition of %s (leader %s)", p.getMetadata().getName(), leader)
                    .isEqualTo(p.getMetadata().getName().equals(leader));
              }
            });
  }

  /** How many times the StatefulSet controller reported creating this pod (events aggregate). */
  private static int podCreations(KubernetesClient client, String pod) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> "SuccessfulCreate".equals(e.getReason()))
        .filter(e -> e.getMessage() != null && e.getMessage().startsWith("create Pod " + pod + " "))
        .mapToInt(e -> e.getCount() == null ? 1 : e.getCount())
        .sum();
  }

  private static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
