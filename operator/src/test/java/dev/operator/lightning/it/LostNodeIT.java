package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.FailoverRecord;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.harness.ControlPlane;
import dev.operator.lightning.harness.MemberStatePoller;
import dev.operator.lightning.harness.NodeLoss;
import dev.operator.lightning.model.LeaderHealthCheck;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * An unclean fault with the real lnd on the three-node local cluster: the leader's node is lost as
 * a partitioned node is lost. Its kubelet stops reporting and every pod on it (the leader and one
 * etcd member) is cut off from the network, while their processes keep running. Kubernetes can only
 * see heartbeats stop, so nothing may confirm the leader dead: the operator must revoke nothing,
 * only the session TTL may end its leadership, the leader must stop serving peers (its own health
 * check) before its successor is active, and its pod, deleted once the election moved on (fencing)
 * or by eviction, stays Terminating until the node returns. When the node comes back the cluster
 * converges: the old pod goes, the operator creates its member again, and the successor keeps the
 * election and the Service. Member states come from the harness's own poller, which reads the lost
 * leader from inside its pod, since nothing outside its node can reach it.
 */
class LostNodeIT {
  private static final String NS = "lostnode";
  private static final int TTL = 24;

  @Test
  void aLeaderOnALostNodeIsReplacedOnlyAtItsSessionsEndAndTheClusterConvergesWhenItReturns()
      throws Exception {
    try (DemoCluster demo = DemoCluster.start(NS)) {
      KubernetesClient client = demo.client();
      LightningCluster lc = demo.demo();
      lc.getSpec().election.leaderSessionTtlSeconds = TTL;
      demo.apply(lc);
      String leader = demo.awaitLeader(null, Duration.ofSeconds(90));
      String leaderUid = pod(client, leader).getMetadata().getUid();
      String node = pod(client, leader).getSpec().getNodeName();
      List<String> routed = new CopyOnWriteArrayList<>();

      try (MemberStatePoller states =
          new MemberStatePoller(demo.cluster.nodes(), List.copyOf(demo.memberHosts().keySet()))) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> states.lastActive(leader).isPresent() && ready(pod(client, leader)));
        Instant cut;
        Instant[] nodeUnknown = new Instant[1];
        Instant[] podNotReady = new Instant[1];
        Instant[] evicted = new Instant[1];
        String[] successor = new String[1];
        Instant[] successorRouted = new Instant[1];
        try (NodeLoss loss = demo.cluster.nodes().loseNodeOf(leader)) {
          cut = Instant.now();
          assertThat(loss.pods()).as("pods on the lost node %s", node).contains(leader);
          await()
              .atMost(Duration.ofSeconds(TTL * 3L))
              .pollInterval(Duration.ofMillis(100))
              .alias(
                  "node "
                      + node
                      + " Unknown, "
                      + leader
                      + " not ready and evicted, and a successor active and routed")
              .until(
                  () -> {
                    Instant now = Instant.now();
                    String endpoint = demo.routedMember();
                    if (nodeUnknown[0] == null && "Unknown".equals(nodeReady(client, node))) {
                      nodeUnknown[0] = now;
                    }
                    Pod p = pod(client, leader);
                    if (podNotReady[0] == null && p != null && !ready(p)) {
                      podNotReady[0] = now;
                    }
                    if (evicted[0] == null
                        && p != null
                        && p.getMetadata().getDeletionTimestamp() != null) {
                      evicted[0] = now;
                    }
                    List<String> others = states.activeSince(cut, leader);
                    if (!others.isEmpty()) {
                      successor[0] = others.get(0);
                      if (successorRouted[0] == null && successor[0].equals(endpoint)) {
                        successorRouted[0] = now;
                      }
                    }
                    if (successorRouted[0] != null) {
                      routed.add(String.valueOf(endpoint));
                    }
                    return nodeUnknown[0] != null
                        && podNotReady[0] != null
                        && evicted[0] != null
                        && successorRouted[0] != null;
                  });
          // The node is still lost: the evicted pod is not confirmed gone, whatever its age.
          Pod stillThere = pod(client, leader);
          assertThat(stillThere)
              .as("%s deleted on the lost node but not confirmed gone", leader)
              .isNotNull();
          assertThat(stillThere.getMetadata().getUid()).isEqualTo(leaderUid);

          Instant successorActive = states.firstActive(successor[0], cut).orElseThrow();
          // Read inside its pod while its node is away: nothing outside can reach it.
          Instant lastActive = states.lastActive(leader).orElseThrow();
          Instant lastPeers = states.lastAcceptedPeers(leader).orElseThrow();
          System.out.printf(
              "lost node %s with leader %s (TTL %d s, node grace %d s, eviction after %d s): node"
                  + " Unknown %d ms, pod not ready %d ms, deleted (fenced or evicted) %d ms; %s (read"
                  + " in its pod) last"
                  + " took a peer connection %d ms, last reported active %d ms; %s active %d ms,"
                  + " routed %d ms after the loss%n",
              node,
              leader,
              TTL,
              ControlPlane.NODE_MONITOR_GRACE_SECONDS,
              ControlPlane.NODE_LOSS_TOLERATION_SECONDS,
              ms(cut, nodeUnknown[0]),
              ms(cut, podNotReady[0]),
              ms(cut, evicted[0]),
              leader,
              ms(cut, lastPeers),
              ms(cut, lastActive),
              successor[0],
              ms(cut, successorActive),
              ms(cut, successorRouted[0]));
          assertThat(successorActive)
              .as("%s active only after %s's session could have run out", successor[0], leader)
              .isAfter(cut.plusSeconds(LeaderHealthCheck.earliestExpirySeconds(TTL) - 1L));
          // It keeps reporting SERVER_ACTIVE through its shutdown, which waits for etcd; what
          // matters is that it stopped serving peers (its health check) before anyone else could.
          assertThat(lastPeers)
              .as(
                  "%s, cut off with its node, stops serving peers before %s is active",
                  leader, successor[0])
              .isBefore(successorActive);
          assertThat(ms(successorActive, successorRouted[0]))
              .as(
                  "ms from %s active to routed: the operator follows the election again after"
                      + " its connection to the lost node's etcd member went silent",
                  successor[0])
              .isLessThan(5_000);
          // A follower whose own etcd client was on the lost node's member can lose its session at
          // about the same time, and may win and lose the election in between: the failovers
          // since the loss go from the lost leader, through any such follower, to the successor.
          List<FailoverRecord> since = failoversSince(demo, cut);
          assertThat(since).as("failovers since the loss").isNotEmpty();
          assertThat(since.get(0).from).as("first failover since the loss, from").isEqualTo(leader);
          assertThat(since.get(since.size() - 1).to)
              .as("last failover since the loss, to (all: %s)", since)
              .isEqualTo(successor[0]);
          assertThat(since)
              .as("nothing confirms a leader on a lost node dead: only sessions ended them")
              .allSatisfy(r -> assertThat(r.cause).isEqualTo(FailoverRecord.LEASE_EXPIRED));
        }

        Instant healed = Instant.now();
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(200))
            .alias(
                "node "
                    + node
                    + " Ready again, "
                    + leader
                    + " replaced by a new pod waiting as a follower")
            .untilAsserted(
                () -> {
                  routed.add(String.valueOf(demo.routedMember()));
                  assertThat(nodeReady(client, node)).as("node %s", node).isEqualTo("True");
                  Pod p = pod(client, leader);
                  assertThat(p).as("%s created again by the operator", leader).isNotNull();
                  assertThat(p.getMetadata().getUid()).isNotEqualTo(leaderUid);
                  Instant created = Instant.parse(p.getMetadata().getCreationTimestamp());
                  assertThat(
                          states
                              .last(leader)
                              .filter(r -> !r.at().isBefore(created))
                              .map(MemberStatePoller.Reading::state))
                      .as("%s's new pod, read after its creation", leader)
                      .contains("WAITING_TO_START");
                });
        System.out.printf(
            "lost node %s back: %s replaced and waiting as a follower %d ms later%n",
            node, leader, ms(healed, Instant.now()));
        assertThat(routed)
            .as("members routed once the successor was, to the end: never the lost %s", leader)
            .doesNotContain(leader);
        assertThat(demo.status().leader.pod).as("leader in status").isEqualTo(successor[0]);
        assertThat(demo.routedMember()).as("routed at the end").isEqualTo(successor[0]);
        List<FailoverRecord> all = demo.status().failover.recent;
        assertThat(all.get(all.size() - 1).to)
            .as("the successor kept the election when the lost leader came back")
            .isEqualTo(successor[0]);
      }
      assertThat(demo.failedReconciliations()).as("reconciliations that threw").isZero();
    }
  }

  private static List<FailoverRecord> failoversSince(DemoCluster demo, Instant from) {
    var failover = demo.status().failover;
    assertThat(failover).as("status.failover").isNotNull();
    Instant second = from.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    return failover.recent.stream().filter(r -> !Instant.parse(r.time).isBefore(second)).toList();
  }

  private static Pod pod(KubernetesClient client, String name) {
    return client.pods().inNamespace(NS).withName(name).get();
  }

  private static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String nodeReady(KubernetesClient client, String node) {
    var n = client.nodes().withName(node).get();
    return n.getStatus().getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()))
        .map(c -> c.getStatus())
        .findFirst()
        .orElse(null);
  }

  private static long ms(Instant from, Instant to) {
    return Duration.between(from, to).toMillis();
  }
}
