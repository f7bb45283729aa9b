package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.harness.EtcdServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The operator process itself: restarts, several replicas, and its metrics endpoint. */
class OperatorLifecycleIT {
  private static EtcdServer etcd;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    client = ApiServerSupport.client();
    etcd = EtcdServer.start();
  }

  @AfterAll
  static void stop() {
    etcd.close();
  }

  @Test
  void anOperatorRestartedDuringAFailoverStillRevokesTheDeadLeadersLease() {
    Main.Running first = Main.start(client, Main.Settings.forTests());
    Main.Running second = null;
    try (MemberScenario s = new MemberScenario(client, etcd, "restart", "kappa", 90, null)) {
      String leader = s.awaitRoutedLeader(null);
      first.close();
      Instant killed = Instant.now();
      s.kubelet.killHard(leader);
      // The container restarts and campaigns again while no operator runs.
      await().atMost(MemberScenario.DEADLINE).until(() -> s.kubelet.standIn(leader) != null);
      second = Main.start(client, Main.Settings.forTests());
      String next = s.awaitRoutedLeader(leader);
      Duration took = Duration.between(killed, Instant.now());
      System.out.printf(
          "operator restarted mid-failover: %s -> %s routed %d ms after the kill (TTL 90 s)%n",
          leader, next, took.toMillis());
      assertThat(took).as("failover with a restarted operator").isLessThan(Duration.ofSeconds(45));
      assertThat(s.events("LeaseRevoked")).anyMatch(m -> m.contains(leader));
      s.assertInvariantHeld();
    } finally {
      if (second != null) {
        second.close();
      }
    }
  }

  @Test
  void ofTwoOperatorReplicasOnlyTheLeaseHolderActsAndTheOtherTakesOver() {
    String leaseNs = ApiServerSupport.newNamespace("operator-system");
    WriteCounter countA = new WriteCounter();
    WriteCounter countB = new WriteCounter();
    Duration lease = Duration.ofSeconds(4);
    Main.Running a =
        Main.start(countA.client, new Main.Settings(Set.of(), leaseNs, "op-a", lease, false, -1));
    Main.Running b =
        Main.start(countB.client, new Main.Settings(Set.of(), leaseNs, "op-b", lease, false, -1));
    try {
      await().atMost(MemberScenario.DEADLINE).until(() -> holder(leaseNs) != null);
      String holder = holder(leaseNs);
      WriteCounter active = holder.equals("op-a") ? countA : countB;
      WriteCounter standby = holder.equals("op-a") ? countB : countA;
      String ns = ApiServerSupport.newNamespace("replicas");
      client.resource(Clusters.managed(ns, "lambda")).create();
      await()
          .atMost(MemberScenario.DEADLINE)
          .until(() -> client.pods().inNamespace(ns).list().getItems().size() == 3);
      assertThat(nonLeaseWrites(active)).as("the lease holder acts").isNotEmpty();
      assertThat(nonLeaseWrites(standby)).as("writes of the standby replica").isEmpty();

      (holder.equals("op-a") ? a : b).close();
      String other = holder.equals("op-a") ? "op-b" : "op-a";
      await().atMost(MemberScenario.DEADLINE).until(() -> other.equals(holder(leaseNs)));
      client.pods().inNamespace(ns).withName("lambda-1").withGracePeriod(0).delete();
      await()
          .atMost(MemberScenario.DEADLINE)
          .alias("the new lease holder recreates a deleted member")
          .until(() -> client.pods().inNamespace(ns).withName("lambda-1").get() != null);
      assertThat(nonLeaseWrites(standby)).as("the former standby now acts").isNotEmpty();
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void metricsEndpointServesOperatorAndJosdkMeters() throws Exception {
    int port = freePort();
    Main.Running op =
        Main.start(
            client,
            new Main.Settings(Set.of(), null, null, Duration.ofSeconds(15), false, port)
                .withReconcileThreads(7));
    assertThat(op.operator().getConfigurationService().concurrentReconciliationThreads())
        .as("reconcile threads the operator was started with")
        .isEqualTo(7);
    try (MemberScenario s = new MemberScenario(client, etcd, "metrics", "mu", null, null)) {
      s.awaitRoutedLeader(null);
      HttpClient http = HttpClient.newHttpClient();
      await()
          .atMost(MemberScenario.DEADLINE)
          .untilAsserted(
              () -> {
                String body =
                    http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/metrics"))
                                .build(),
                            HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(body)
                    .contains(
                        "lightning_election_to_endpoints_seconds_bucket",
                        "lightning_leader_changes_total",
                        "lightning_reconcile_seconds_count",
                        "operator_sdk_");
                // At least this test's cluster has had a pass to the end since the start.
                assertThat(body).containsPattern("(?m)^lightning_clusters_confirmed [1-9]");
              });
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
    } finally {
      op.close();
    }
  }

  private static String holder(String ns) {
    Lease l = client.leases().inNamespace(ns).withName(Main.LEASE_NAME).get();
    return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
  }

  /** Writes other than the leader election itself and read-only permission reviews. */
  private static java.util.List<String> nonLeaseWrites(WriteCounter c) {
    return c.writes.stream()
        .filter(w -> !w.contains("/leases"))
        .filter(w -> !w.contains("/selfsubjectrulesreviews"))
        .toList();
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
