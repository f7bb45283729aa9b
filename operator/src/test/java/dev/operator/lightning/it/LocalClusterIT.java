package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.harness.LocalNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
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
      assertSpreadOverThreeZones(client, "etcd");
      assertSpreadOverThreeZones(client, "lnd");
      assertEtcdClosedToPodsOutsideThePolicy(demo);
      assertOnlyTheLeaderIsPodReady(client, first);
      assertThat(Lncli.throughLeaderService(demo.cluster, NS, NAME, "state", Lncli.SERVER_ACTIVE))
          .as("lncli state through the leader Service")
          .isEqualTo("SERVER_ACTIVE");
      String identity = Lncli.identityThroughLeaderService(demo.cluster, NS, NAME);
      assertThat(identity).hasSize(66);

      Instant killed = Instant.now();
      demo.cluster.nodes().killContainer(first);
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
                          assertThat(ready(p))
                              .as("%s Ready by its /readyz probe", p.getMetadata().getName())
                              .isTrue();
                        }));
  }

  /**
   * The cluster's NetworkPolicies, enforced by the local cluster's packet filter: a pod of the
   * namespace that is not one of the cluster's LND members cannot reach etcd's client port, neither
   * at an etcd pod's IP nor through the client Service, while it still reaches etcd's open metrics
   * port and the leader's REST port (API clients default to the namespace's pods). With the
   * policies switched off, the same pod reaches etcd: the policy, not the network, refused it.
   */
  private static void assertEtcdClosedToPodsOutsideThePolicy(DemoCluster demo) {
    KubernetesClient client = demo.client();
    String etcdIp =
        client.pods().inNamespace(NS).withName(NAME + "-etcd-0").get().getStatus().getPodIP();
    String service = NAME + "-etcd-client." + NS + ".svc";
    String leaderIp =
        client
            .pods()
            .inNamespace(NS)
            .withName(demo.status().leader.pod)
            .get()
            .getStatus()
            .getPodIP();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(answers(demo, etcdIp, 2379, true))
                  .as("etcd-0's client port, direct")
                  .isFalse();
              assertThat(answers(demo, service, 2379, true))
                  .as("etcd's client port through its Service")
                  .isFalse();
            });
    assertThat(answers(demo, etcdIp, 2381, false)).as("etcd-0's metrics port").isTrue();
    assertThat(answers(demo, leaderIp, 8080, true)).as("the leader's REST port").isTrue();

    setNetworkPolicies(client, false);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(answers(demo, etcdIp, 2379, true))
                    .as("etcd-0's client port once the policies are off")
                    .isTrue());
    setNetworkPolicies(client, true);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(answers(demo, etcdIp, 2379, true))
                    .as("etcd-0's client port with the policies back")
                    .isFalse());
  }

  private static void setNetworkPolicies(KubernetesClient client, boolean enabled) {
    client
        .resources(LightningCluster.class)
        .inNamespace(NS)
        .withName(NAME)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"networkPolicy\":{\"enabled\":" + enabled + "}}}");
  }

  /**
   * Whether the server behind {@code host:port} answers the harness's client pod (a pod of the
   * namespace with no labels) within 3 s: a TLS server hands over its certificate, a plain one
   * answers a request. A connection the proxy or a pod's filter refuses gets no answer.
   */
  private static boolean answers(DemoCluster demo, String host, int port, boolean tls) {
    String probe =
        tls
            ? "openssl s_client -connect " + host + ":" + port + " -showcerts </dev/null 2>&1"
            : "exec 3<>/dev/tcp/"
                + host
                + "/"
                + port
                + "; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; head -c 1 <&3";
    var r =
        demo.cluster.runInCluster(
            List.of("timeout", "3", "bash", "-c", probe), Duration.ofSeconds(10));
    return tls
        ? r.output().contains("BEGIN CERTIFICATE")
        : r.exitCode() == 0 && !r.output().isEmpty();
  }

  /**
   * kube-scheduler placed the component's three pods on three nodes in three zones, as the
   * operator's topology spread constraints (and the members' anti-affinity) ask: a lost node or
   * zone costs one etcd member and one LND member.
   */
  private static void assertSpreadOverThreeZones(KubernetesClient client, String component) {
    List<Pod> pods =
        client
            .pods()
            .inNamespace(NS)
            .withLabel("app.kubernetes.io/component", component)
            .list()
            .getItems();
    List<String> nodes = pods.stream().map(p -> p.getSpec().getNodeName()).toList();
    List<String> zones =
        nodes.stream()
            .map(
                n ->
                    client
                        .nodes()
                        .withName(n)
                        .get()
                        .getMetadata()
                        .getLabels()
                        .get(LocalNode.ZONE_LABEL))
            .toList();
    assertThat(nodes).as("nodes of the %s pods", component).hasSize(3).doesNotHaveDuplicates();
    assertThat(zones)
        .as("zones of the %s pods on %s", component, nodes)
        .containsExactlyInAnyOrder("a", "b", "c");
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
