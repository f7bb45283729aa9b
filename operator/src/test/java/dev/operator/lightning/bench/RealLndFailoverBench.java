package dev.operator.lightning.bench;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.DatabaseBackend;
import dev.operator.lightning.it.Clusters;
import dev.operator.lightning.it.DemoCluster;
import dev.operator.lightning.it.PostgresServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code make bench-failover-lnd}: handover times with the real lnd on the local cluster (the demo
 * example: 3 members, managed etcd of 3, TTL 30 s). Prints figures; asserts nothing about them.
 * Each round starts from a cluster whose three members are all healthy.
 *
 * <ul>
 *   <li>(e) leader's lnd killed with SIGKILL -> next leader active and routed;
 *   <li>(f) leader pod deleted (SIGTERM, lnd resigns) -> next leader active and routed.
 * </ul>
 *
 * Knobs: -Dbench.rounds (default 10 of each), -Dbench.database (default etcd,postgres: the demo
 * example with its data in etcd, then in PostgreSQL on the local cluster).
 */
class RealLndFailoverBench {
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @Test
  void failover() {
    int rounds = Integer.getInteger("bench.rounds", 10);
    String layouts = System.getProperty("bench.database", "etcd,postgres");
    for (String layout : layouts.split(",")) {
      failover(DatabaseBackend.valueOf(layout.strip()), rounds);
    }
  }

  private static void failover(DatabaseBackend backend, int rounds) {
    try (DemoCluster demo = DemoCluster.start("bench-lnd")) {
      if (backend == DatabaseBackend.postgres) {
        PostgresServer pg = PostgresServer.deploy(demo.cluster, demo.ns);
        demo.apply(
            Clusters.withPostgres(
                demo.demo(), pg.createDatabase(DemoCluster.NAME), PostgresServer.CA_SECRET));
      } else {
        demo.apply();
      }
      String leader = demo.awaitLeader(null, DEADLINE);
      List<Long> kills = new ArrayList<>();
      List<Long> deletions = new ArrayList<>();
      for (int i = 0; i < 2 * rounds; i++) {
        awaitAllHealthy(demo);
        boolean kill = i % 2 == 0;
        Instant start = Instant.now();
        if (kill) {
          demo.cluster.nodes().killContainer(leader);
        } else {
          demo.client().pods().inNamespace(demo.ns).withName(leader).delete();
        }
        String next = demo.awaitLeader(leader, DEADLINE);
        long ms = Duration.between(start, Instant.now()).toMillis();
        (kill ? kills : deletions).add(ms);
        System.out.printf(
            "round %2d: %s of %s -> %s in %d ms%n",
            i + 1, kill ? "kill -9" : "deletion", leader, next, ms);
        leader = next;
      }
      System.out.printf(
          "%nreal lnd, data in %s, managed etcd of 3, %d rounds each%n", backend, rounds);
      System.out.printf("%-62s %8s %8s %8s%n", "", "p50 ms", "p99 ms", "max ms");
      Percentiles.row("(e) kill -9 of the leader -> next leader active and routed", kills);
      Percentiles.row("(f) leader pod deleted (resigns) -> next active and routed", deletions);
    }
  }

  private static void awaitAllHealthy(DemoCluster demo) {
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> demo.status() != null && "3/3".equals(demo.status().ready));
  }
}
