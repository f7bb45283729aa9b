package dev.operator.lightning.it;

import static dev.operator.lightning.it.PaymentNetwork.ALICE;
import static dev.operator.lightning.it.PaymentNetwork.BOB;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Not part of {@code make test} (no Test/IT suffix; run with {@code -Dtest=PayeeKillRepro}): bob
 * pays alice continuously, and alice's leader is killed the instant its log says it settled an HTLC
 * as the exit hop, {@code PAYEE_KILLS} times. Afterwards the sats alice's channel received must
 * equal her settled invoices; it prints both, and every line of the killed leaders' logs that names
 * a replay, so a settled-but-unpaid HTLC (see docs/testing.md) shows with its evidence.
 */
class PayeeKillRepro {
  private static final String NS = "repro";
  private static final int KILLS = Integer.getInteger("repro.kills", 10);

  /** Where alice keeps her data: postgres (default) or etcd. */
  private static final String ALICE_DATA = System.getProperty("repro.aliceData", "postgres");

  @Test
  void killThePayeeRightAfterItSettles() throws Exception {
    try (PaymentNetwork n =
        ALICE_DATA.equals("etcd")
            ? PaymentNetwork.start(NS, 3, 1)
            : PaymentNetwork.startWithAliceOnPostgres(NS, 3, 1)) {
      List<String> killed = new ArrayList<>();
      PaymentDriver ba = new PaymentDriver("bob->alice", n::bob, n::alice);
      try {
        for (int i = 0; i < KILLS; i++) {
          String leader = n.net.status(ALICE).leader.pod;
          Path log = n.net.cluster.nodes().log(leader);
          long from = Files.size(log);
          long[] seen = {from};
          // Poll the log every millisecond; kill on the first settle after this point.
          await()
              .atMost(Duration.ofSeconds(120))
              .pollInterval(Duration.ofMillis(1))
              .until(
                  () -> {
                    long size = Files.size(log);
                    if (size <= seen[0]) {
                      return false;
                    }
                    byte[] all = Files.readAllBytes(log);
                    String added =
                        new String(
                            all, (int) seen[0], all.length - (int) seen[0], StandardCharsets.UTF_8);
                    seen[0] = all.length;
                    return added.contains("as exit hop");
                  });
          n.net.cluster.nodes().killContainer(leader);
          killed.add(leader + "@" + java.time.Instant.now());
          killed.add(log.toString());
          String next = n.net.awaitLeader(ALICE, leader, Duration.ofSeconds(120));
          n.awaitChannelActive(ALICE);
          n.awaitChannelActive(BOB);
          long before = ba.succeeded();
          await().atMost(Duration.ofSeconds(120)).until(() -> ba.succeeded() > before);
          System.out.printf("repro: kill %d of %s after a settle -> %s%n", i + 1, leader, next);
        }
      } finally {
        ba.close();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> n.channel(ALICE).path("pending_htlcs").isEmpty());
      long settled = 0;
      for (JsonNode inv : n.alice().get("/v1/invoices?num_max_invoices=10000").path("invoices")) {
        if ("SETTLED".equals(inv.path("state").asText())) {
          settled += inv.path("amt_paid_sat").asLong();
        }
      }
      long received = n.channel(ALICE).path("total_satoshis_received").asLong();
      System.out.printf(
          "repro: alice's data in %s, %d kills of alice's leader right after a settle: settled"
              + " invoices %d sat, channel received %d sat -> %s%n",
          ALICE_DATA,
          KILLS,
          settled,
          received,
          settled == received
              ? "consistent"
              : "REPRODUCED: settled but not paid " + (settled - received));
      Path kept = Path.of("target", "repro-logs").toAbsolutePath();
      n.keepLogsAndPrintReplays(kept, "repro: ", false);
      System.out.println("repro: logs kept in " + kept + "; killed " + killed);
      // What the payments test forgives must be exactly the loss seen here, no more, no less.
      List<SettledUnpaidHtlcs.Evidence> told = SettledUnpaidHtlcs.findIn(kept);
      told.forEach(e -> System.out.println("repro: told from the logs " + e));
      System.out.printf(
          "repro: the logs tell %d settled-but-unpaid HTLCs (%d sat); settled minus received %d"
              + " sat -> %s%n",
          told.size(),
          told.size() * PaymentDriver.AMOUNT_SAT,
          settled - received,
          told.size() * PaymentDriver.AMOUNT_SAT == settled - received
              ? "the logs account for the whole loss"
              : "MISMATCH between the logs and the channel");
    }
  }
}
