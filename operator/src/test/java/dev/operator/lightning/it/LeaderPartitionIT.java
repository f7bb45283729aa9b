package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.DatabaseBackend;
import dev.operator.lightning.harness.PodPartition;
import dev.operator.lightning.model.LeaderHealthCheck;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Safety invariant 5 with the real lnd on the local cluster: the leader's pod is cut off from etcd
 * only (packets dropped in its network namespace; the operator and its clients still reach it), so
 * nothing but LND's leader health check can stop it, and its session runs out behind its back. It
 * must stop serving peers (its health check closes its P2P listener and drops its peers) before its
 * session can expire, so before any successor can be elected; and since lnd keeps reporting
 * SERVER_ACTIVE through its whole shutdown, the operator's fencing must end it before the successor
 * is active. Member states and P2P ports are read every 100 ms by the test, independently of the
 * operator.
 */
class LeaderPartitionIT {
  private static final String NS = "partition";
  private static final String NAME = DemoCluster.NAME;

  /**
   * With PostgreSQL the cut-off leader still reaches its database, so nothing in the data path
   * stops its writes: only the health check does. The same cut with the data in etcd runs in the
   * chaos campaign ({@code CUT_LEADER_FROM_ETCD} in {@code ChaosCampaignIT}), whose monitor fails
   * on any moment with two members serving peers and on a successor active before the session could
   * expire. The parameter keeps the test able to run the etcd layout too.
   */
  @ParameterizedTest
  @EnumSource(value = DatabaseBackend.class, names = "postgres")
  void aLeaderCutOffFromEtcdStopsBeforeItsSuccessorServes(DatabaseBackend backend)
      throws Exception {
    try (DemoCluster demo = DemoCluster.start(NS)) {
      KubernetesClient client = demo.client();
      if (backend == DatabaseBackend.postgres) {
        PostgresServer pg = PostgresServer.deploy(demo.cluster, NS);
        demo.apply(
            Clusters.withPostgres(demo.demo(), pg.createDatabase(NAME), PostgresServer.CA_SECRET));
      } else {
        demo.apply();
      }
      String leader = demo.awaitLeader(null, Duration.ofSeconds(90));
      int ttl = demo.leaderSessionTtlSeconds();
      LeaderHealthCheck check = LeaderHealthCheck.forTtl(ttl);

      try (MemberStates states = demo.memberStates()) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    states.lastActive(leader).isPresent()
                        && states.lastAcceptedPeers(leader).isPresent());
        long oldProcess = demo.cluster.nodes().pid(leader).orElseThrow();
        // The old pod's log stays on the node after the pod is gone.
        java.nio.file.Path oldLog = demo.cluster.nodes().log(leader);

        Instant cut;
        try (PodPartition partition =
            PodPartition.cut(demo.cluster.nodes().netns(leader), etcdEndpoints(demo))) {
          cut = Instant.now();
          String[] successor = new String[1];
          Instant[] routed = new Instant[1];
          Instant[] unrouted = new Instant[1];
          Instant[] gone = new Instant[1];
          await()
              .atMost(Duration.ofSeconds(ttl * 3L))
              .pollInterval(Duration.ofMillis(50))
              .alias("a member other than " + leader + " active and routed after the cut")
              .until(
                  () -> {
                    String endpoint = demo.routedMember();
                    if (unrouted[0] == null && !leader.equals(endpoint)) {
                      unrouted[0] = Instant.now();
                    }
                    if (gone[0] == null
                        && ProcessHandle.of(oldProcess).map(ph -> !ph.isAlive()).orElse(true)) {
                      gone[0] = Instant.now();
                    }
                    List<String> others = states.activeSince(cut, leader);
                    if (others.isEmpty()) {
                      return false;
                    }
                    successor[0] = others.get(0);
                    if (routed[0] == null && successor[0].equals(endpoint)) {
                      routed[0] = Instant.now();
                    }
                    return routed[0] != null && gone[0] != null;
                  });
          Instant successorActive = states.firstActive(successor[0], cut).orElseThrow();
          Instant peersClosed = states.lastAcceptedPeers(leader).orElseThrow();
          Instant lastActive = states.lastActive(leader).orElseThrow();
          long peersMs = Duration.between(cut, peersClosed).toMillis();
          long successorMs = Duration.between(cut, successorActive).toMillis();
          long expiryMs = LeaderHealthCheck.earliestExpirySeconds(ttl) * 1000L;
          System.out.printf(
              "leader partition, data in %s (TTL %d s, health check every %d s, worst case %d s, earliest"
                  + " session expiry %d s): cut -> %s last accepted a peer %d ms, last reported"
                  + " active %d ms; cut -> %s active %d ms (routed %d ms); fencing: %s unrouted"
                  + " %d ms after the cut, its process gone %d ms later; peer-serving gap %d ms,"
                  + " both reporting active %d ms%n",
              backend,
              ttl,
              check.intervalSeconds(),
              check.worstCaseStopSeconds(),
              expiryMs / 1000,
              leader,
              peersMs,
              Duration.between(cut, lastActive).toMillis(),
              successor[0],
              successorMs,
              Duration.between(cut, routed[0]).toMillis(),
              leader,
              Duration.between(cut, unrouted[0]).toMillis(),
              Duration.between(unrouted[0], gone[0]).toMillis(),
              successorMs - peersMs,
              Math.max(0, Duration.between(successorActive, lastActive).toMillis()));
          lndShutdownTimes(oldLog, leader, cut);
          assertThat(peersMs)
              .as(
                  "%s, cut off from etcd, must stop serving peers (its health check) before any"
                      + " successor can be elected, %d ms after the cut",
                  leader, expiryMs)
              .isLessThan(expiryMs);
          assertThat(peersClosed)
              .as("%s stops serving peers before %s is active", leader, successor[0])
              .isBefore(successorActive);
          assertThat(lastActive)
              .as(
                  "%s (which reports SERVER_ACTIVE through its whole shutdown) is fenced before"
                      + " %s is active",
                  leader, successor[0])
              .isBefore(successorActive);
          await()
              .atMost(Duration.ofSeconds(30))
              .untilAsserted(() -> assertThat(demo.status().leader.pod).isEqualTo(successor[0]));
        }
        // Healed (the fenced pod came back in a new network namespace): it rejoins as a follower.
        await()
            .atMost(Duration.ofSeconds(90))
            .untilAsserted(
                () ->
                    assertThat(states.last(leader).map(MemberStates.Reading::state))
                        .as("%s after the partition healed", leader)
                        .contains("WAITING_TO_START"));
      }
      assertThat(demo.failedReconciliations()).as("reconciliations that threw").isZero();
    }
  }

  /**
   * Prints when the cut-off leader's lnd logged its failed leader health check and the end of its
   * shutdown: the shutdown margin of the health check is measured on these.
   */
  private static void lndShutdownTimes(java.nio.file.Path log, String leader, Instant cut)
      throws java.io.IOException {
    java.util.regex.Pattern stamp =
        java.util.regex.Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) ");
    java.time.format.DateTimeFormatter f =
        java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(java.time.ZoneOffset.UTC);
    Instant failed = null;
    Instant done = null;
    for (String line : java.nio.file.Files.readAllLines(log)) {
      var m = stamp.matcher(line);
      if (!m.find()) {
        continue;
      }
      Instant at = java.time.ZonedDateTime.parse(m.group(1), f).toInstant();
      if (at.isBefore(cut)) {
        continue;
      }
      if (failed == null && line.contains("Health check: leader status failed")) {
        failed = at;
      } else if (failed != null && done == null && line.contains("Received shutdown request")) {
        done = at;
      }
    }
    System.out.printf(
        "leader partition: %s logged its failed health check %s ms and began to shut down %s ms"
            + " after the cut%n",
        leader,
        failed == null ? "?" : Duration.between(cut, failed).toMillis(),
        done == null ? "?" : Duration.between(cut, done).toMillis());
  }

  /** The etcd client Service's address and every etcd pod's, port 2379. */
  private static List<String> etcdEndpoints(DemoCluster demo) {
    KubernetesClient client = demo.client();
    List<String> out = new ArrayList<>();
    String clusterIp =
        client
            .services()
            .inNamespace(NS)
            .withName(NAME + "-etcd-client")
            .get()
            .getSpec()
            .getClusterIP();
    out.add(clusterIp + ":2379");
    for (Pod p :
        client
            .pods()
            .inNamespace(NS)
            .withLabel("app.kubernetes.io/component", "etcd")
            .list()
            .getItems()) {
      String ip = demo.cluster.nodes().podIp(p.getMetadata().getName());
      if (ip != null) {
        out.add(ip + ":2379");
      }
    }
    return out;
  }
}
