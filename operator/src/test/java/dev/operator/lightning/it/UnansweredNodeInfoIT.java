package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.LndStandIn;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.reconcile.ClusterReconciliation;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A leader cut off from etcd still answers its state but not GetInfo. A pass that waited out that
 * read's timeout kept an election change seen meanwhile unrouted until the pass ended; so a pass
 * must not wait for the leader's node, and a reply that comes late must still reach the status.
 */
class UnansweredNodeInfoIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  /**
   * Under the read timeout a pass used to wait out, well over a pass over stand-ins (each of whose
   * reads is a GET here: no informer caches) on a loaded machine.
   */
  private static final Duration PASS_BOUND =
      LndRestClient.READ_TIMEOUT.minus(Duration.ofMillis(500));

  @Test
  void aPassDoesNotWaitForGetInfoAndTakesALateReplyOnALaterPass() throws Exception {
    KubernetesClient client = ApiServerSupport.client();
    try (EtcdServer etcd = EtcdServer.start();
        MemberScenario s =
            new MemberScenario(client, etcd, "nodeinfo", "omicron", 90, null, true, c -> {})) {
      ClusterReconciliation reconciliation = Reconciliations.direct(client);
      String leader;
      try (Passes passes = new Passes(reconciliation, s)) {
        leader = s.awaitRoutedLeader(null);
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () ->
                    assertThat(
                            client.secrets().inNamespace(s.ns).withName("omicron-readonly").get())
                        .as("the read-only macaroon the node is read with")
                        .isNotNull());
      }
      LndStandIn standIn = s.kubelet.standIn(leader);
      standIn.answerNodeInfoAfter(Duration.ofMinutes(5));

      int asked = standIn.nodeInfoRequests();
      List<Duration> passes = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        reconciliation.reconcile(s.cluster());
        passes.add(Duration.ofNanos(System.nanoTime() - t0));
      }
      assertThat(passes)
          .as("pass durations while %s does not answer GetInfo", leader)
          .allSatisfy(d -> assertThat(d).isLessThan(PASS_BOUND));
      assertThat(s.routed()).as("routed while GetInfo hangs").isEqualTo(leader);
      assertThat(standIn.nodeInfoRequests() - asked)
          .as("GetInfo requests to %s during those passes", leader)
          .isPositive();

      // A reply later than a pass waits, but within the read timeout, is taken by a later pass.
      standIn.answerNodeInfoAfter(Duration.ofMillis(500));
      try (Passes passes2 = new Passes(reconciliation, s)) {
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () ->
                    assertThat(s.status().node)
                        .as(
                            "status.node once GetInfo answers late; seen %s",
                            s.describe(s.routed(), s.status()))
                        .isNotNull()
                        .extracting(n -> n.identityPubkey, n -> n.readFrom)
                        .containsExactly(standIn.identityPubkey(), leader));
      }
      s.assertInvariantHeld();
    }
  }
}
