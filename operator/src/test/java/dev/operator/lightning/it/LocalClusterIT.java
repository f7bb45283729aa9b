package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.harness.LocalCluster;
import dev.operator.lightning.harness.SandboxKubelet;
import dev.operator.lightning.harness.Tools;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The product as a user sees it, on the local cluster: the demo example (3 LND members, managed
 * etcd of 3) applied to a real kube-apiserver and kube-controller-manager; the StatefulSet's etcd
 * pods and the member pods run as the real etcd and lnd in their own network namespaces, with their
 * probes executed as declared; {@code lncli getinfo} goes to the leader Service's address through
 * the service proxy, before and after a hard kill and a graceful deletion of the leader.
 */
class LocalClusterIT {
  private static final String NS = "e2e";
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @Test
  void demoClusterOnManagedEtcdElectsServesLncliAndFailsOverKeepingItsIdentity() throws Exception {
    try (LocalCluster cluster = LocalCluster.start(NS)) {
      KubernetesClient client = cluster.client();
      ApiServerSupport.installCrd(client);
      client
          .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
          .create();
      try (Main.Running op = Main.start(client, Main.Settings.forTests())) {
        LightningCluster lc =
            client
                .resources(LightningCluster.class)
                .load(Tools.locate().repoRoot().resolve("manifests/examples/demo.yaml").toFile())
                .item();
        lc.getMetadata().setNamespace(NS);
        Instant applied = Instant.now();
        client.resource(lc).create();

        String first = awaitLeader(cluster, null);
        System.out.printf(
            "local cluster: apply -> leader %s active, routed, wallet created in %d ms%n",
            first, Duration.between(applied, Instant.now()).toMillis());
        assertEtcdPodsRunByTheKubelet(client);
        assertOnlyTheLeaderIsPodReady(client, first);
        assertThat(Lncli.throughLeaderService(cluster, NS, "demo", "state", Lncli.SERVER_ACTIVE))
            .as("lncli state through the leader Service")
            .isEqualTo("SERVER_ACTIVE");
        String identity = getinfoThroughLeaderService(cluster);
        assertThat(identity).hasSize(66);

        Instant killed = Instant.now();
        cluster.kubelet().killContainer(first);
        String second = awaitLeader(cluster, first);
        System.out.printf(
            "local cluster: kill -9 of %s -> %s active and routed in %d ms%n",
            first, second, Duration.between(killed, Instant.now()).toMillis());
        assertThat(getinfoThroughLeaderService(cluster))
            .as("identity through the leader Service after a hard kill")
            .isEqualTo(identity);

        Instant deleted = Instant.now();
        client.pods().inNamespace(NS).withName(second).delete();
        String third = awaitLeader(cluster, second);
        System.out.printf(
            "local cluster: graceful deletion of %s -> %s active and routed in %d ms%n",
            second, third, Duration.between(deleted, Instant.now()).toMillis());
        assertThat(getinfoThroughLeaderService(cluster))
            .as("identity through the leader Service after a graceful deletion")
            .isEqualTo(identity);
        if (Boolean.getBoolean("lnc.printPodLogs")) {
          printPodLogs(cluster);
        }
      }
    }
  }

  private static LightningClusterStatus status(KubernetesClient client) {
    LightningCluster lc =
        client.resources(LightningCluster.class).inNamespace(NS).withName("demo").get();
    return lc == null ? null : lc.getStatus();
  }

  /** A leader other than notThis, active, in status and alone in the leader slice. */
  private static String awaitLeader(LocalCluster cluster, String notThis) {
    try {
      return awaitLeaderOrFail(cluster, notThis);
    } catch (AssertionError | RuntimeException e) {
      printPodLogs(cluster);
      throw e;
    }
  }

  /** The end of every container log, so a failure shows what lnd and etcd said. */
  private static void printPodLogs(LocalCluster cluster) {
    for (Pod p : cluster.client().pods().inNamespace(NS).list().getItems()) {
      Path log = cluster.kubelet().log(p.getMetadata().getName());
      try {
        List<String> lines = log == null ? List.of() : Files.readAllLines(log);
        System.out.printf(
            "---- %s (last 40 lines of %s)%n%s%n",
            p.getMetadata().getName(),
            log,
            String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      } catch (java.io.IOException e) {
        System.out.printf("---- %s: no log (%s)%n", p.getMetadata().getName(), e);
      }
    }
  }

  private static String awaitLeaderOrFail(LocalCluster cluster, String notThis) {
    KubernetesClient client = cluster.client();
    String[] leader = new String[1];
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              LightningClusterStatus s = status(client);
              assertThat(s).as("status").isNotNull();
              assertThat(s.leader).as("status.leader; members %s", s.members).isNotNull();
              assertThat(s.leader.pod).isNotEqualTo(notThis);
              var slice =
                  client
                      .discovery()
                      .v1()
                      .endpointSlices()
                      .inNamespace(NS)
                      .withName("demo-leader")
                      .get();
              assertThat(slice.getEndpoints())
                  .as("leader slice endpoints")
                  .singleElement()
                  .satisfies(e -> assertThat(e.getTargetRef().getName()).isEqualTo(s.leader.pod));
              assertThat(s.members)
                  .as("members %s", s.members)
                  .anySatisfy(
                      m -> {
                        assertThat(m.pod).isEqualTo(s.leader.pod);
                        assertThat(m.lndState).isIn("RPC_ACTIVE", "SERVER_ACTIVE");
                      });
              leader[0] = s.leader.pod;
            });
    return leader[0];
  }

  private static void assertEtcdPodsRunByTheKubelet(KubernetesClient client) {
    List<Pod> etcd =
        client
            .pods()
            .inNamespace(NS)
            .withLabel("app.kubernetes.io/component", "etcd")
            .list()
            .getItems();
    assertThat(etcd)
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
            });
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

  private static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String getinfoThroughLeaderService(LocalCluster cluster) {
    return Lncli.identityThroughLeaderService(cluster, NS, "demo");
  }
}
