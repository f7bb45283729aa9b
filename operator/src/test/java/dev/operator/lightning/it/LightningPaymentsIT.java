package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.harness.SandboxKubelet;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Real lnd on a real btcd regtest chain: payments both ways between two clusters through their
 * leader Services (alice's data in PostgreSQL, bob's in etcd), continuously, while the leaders of
 * both clusters are killed (-9, while a payment is in flight) and deleted. Afterwards every payment
 * is accounted for on the payer's current leader, every satoshi adds up, the channel is the same
 * and active, nothing was closed or force-closed, the identity never changed, and the operator's
 * channel backup verifies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LightningPaymentsIT {
  private static final String NS = "payments";
  private static final String ALICE = PaymentNetwork.ALICE;
  private static final String BOB = PaymentNetwork.BOB;

  /**
   * Kill, deletion, kill in each cluster, taking turns: each fault on each layout (alice on
   * PostgreSQL, bob on etcd) and a repeat, within the suite's budget (four each took the suite to
   * its 20 minutes).
   */
  private static final int FAILOVERS_PER_CLUSTER = 3;

  private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(120);

  /** How long a payment may stay IN_FLIGHT after the run before the test calls it stuck. */
  private static final Duration IN_FLIGHT_BOUND = Duration.ofSeconds(60);

  /** The two anchor outputs of an anchors commitment, 330 sat each, paid by the initiator. */
  private static final long ANCHORS_SAT = 2 * 330;

  private PaymentNetwork n;
  private SecretScan scan;

  @BeforeAll
  void startNetwork() throws Exception {
    scan = new SecretScan();
    // alice keeps its data in PostgreSQL, bob in etcd: both layouts pay and get paid across
    // failovers in one run.
    n = PaymentNetwork.startWithAliceOnPostgres(NS, 3, 3);
  }

  @AfterAll
  void stopNetwork() {
    if (n != null) {
      n.close();
    }
    scan.close();
  }

  @Test
  @Order(1)
  void paymentsBothWaysSurviveFailoversOfBothClusters() throws Exception {
    {
      JsonNode before = n.channel(ALICE);
      long aliceBefore = before.path("local_balance").asLong() + before.path("commit_fee").asLong();
      long bobBefore = n.channel(BOB).path("local_balance").asLong();
      List<Fault> faults = new ArrayList<>();
      PaymentDriver ab = new PaymentDriver("alice->bob", n::alice, n::bob);
      PaymentDriver ba = new PaymentDriver("bob->alice", n::bob, n::alice);
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () ->
                    assertThat(ab.succeeded() + ba.succeeded())
                        .as("payments before the first fault")
                        .isGreaterThanOrEqualTo(4));
        for (int i = 0; i < 2 * FAILOVERS_PER_CLUSTER; i++) {
          faults.add(failover(n, i % 2 == 0 ? ALICE : BOB, (i / 2) % 2 == 0, ab, ba));
        }
      } finally {
        ab.close();
        ba.close();
      }
      faults.forEach(f -> System.out.println("payments: " + f));

      // lnd's own loss, told from its logs (SettledUnpaidHtlcs): each HTLC a payee settled, was
      // killed before it marked processed, and its successor failed back. Only a payee that was
      // killed in this run can have one; every other satoshi must still add up.
      Path logs = Path.of("target", "payments-logs").toAbsolutePath();
      n.net.cluster.nodes().keepContainerLogs(logs);
      Map<String, SettledUnpaidHtlcs.Evidence> lndLosses = new TreeMap<>();
      for (SettledUnpaidHtlcs.Evidence e : SettledUnpaidHtlcs.findIn(logs)) {
        lndLosses.put(e.hashHex(), e);
      }

      // Every payment ends SUCCEEDED or FAILED on the payer's current leader.
      Map<String, Integer> outcomes = new TreeMap<>();
      PaymentAudit audit = new PaymentAudit(n);
      long abLost = 0;
      long baLost = 0;
      List<String> ledger = new ArrayList<>();
      long abSat = 0;
      long baSat = 0;
      // One deadline for every payment still in flight: lnd keeps an uncommitted attempt
      // IN_FLIGHT for good, so a deadline per payment waited the whole bound once for each.
      Instant trackUntil = Instant.now().plus(IN_FLIGHT_BOUND);
      for (PaymentDriver.Payment p : concat(ab.payments(), ba.payments())) {
        boolean fromAlice = p.direction.equals("alice->bob");
        String finalStatus =
            p.unreached ? "UNREACHED" : p.outcome != null ? p.outcome : audit.track(p, trackUntil);
        String invoice = PaymentAudit.invoiceState(fromAlice ? n.bob() : n.alice(), p.hashHex);
        outcomes.merge(
            p.direction + " " + finalStatus + (p.streamBroke ? " (tracked)" : ""), 1, Integer::sum);
        ledger.add(
            String.join(
                " ",
                p.direction,
                p.hashHex,
                finalStatus,
                "invoice " + invoice,
                "started " + p.started,
                "ended " + p.ended,
                String.valueOf(p.failure)));
        if ("SUCCEEDED".equals(finalStatus)) {
          assertThat(invoice).as("invoice of succeeded payment %s", p.hashHex).isEqualTo("SETTLED");
          if (fromAlice) {
            abSat += PaymentDriver.AMOUNT_SAT;
          } else {
            baSat += PaymentDriver.AMOUNT_SAT;
          }
          SettledUnpaidHtlcs.Evidence lost = lndLosses.get(p.hashHex);
          if (lost != null) {
            assertPayeeKilled(faults, fromAlice ? BOB : ALICE, lost);
            System.out.println("payments: LOST BY LND (settled, then failed back unpaid) " + lost);
            outcomes.merge(p.direction + " SUCCEEDED but unpaid by lnd", 1, Integer::sum);
            if (fromAlice) {
              abLost += PaymentDriver.AMOUNT_SAT;
            } else {
              baLost += PaymentDriver.AMOUNT_SAT;
            }
          }
        } else {
          assertThat(finalStatus)
              .as("payment %s (%s)", p.hashHex, p.failure)
              .isIn("FAILED", "NOT_INITIATED", "UNREACHED", "IN_FLIGHT_UNCOMMITTED");
          SettledUnpaidHtlcs.Evidence lost = lndLosses.get(p.hashHex);
          if ("SETTLED".equals(invoice) && lost != null) {
            // The same loss of lnd's, seen from a payer whose attempt was failed back before any
            // preimage reached it: the payee settled, was killed and its successor failed it back.
            // Nothing moved on the channel; the payee's invoice says paid.
            assertPayeeKilled(faults, fromAlice ? BOB : ALICE, lost);
            System.out.println("payments: SETTLED BY lnd, FAILED BACK UNPAID " + lost);
            outcomes.merge(
                p.direction + " " + finalStatus + " but settled by lnd", 1, Integer::sum);
          } else {
            assertThat(invoice)
                .as("invoice of payment %s that did not succeed", p.hashHex)
                .isNotEqualTo("SETTLED");
          }
        }
      }
      System.out.println("payments: outcomes " + outcomes);
      assertThat(abSat).as("sats paid alice -> bob").isPositive();
      assertThat(baSat).as("sats paid bob -> alice").isPositive();
      // What the channel really moved each way: the succeeded payments less lnd's own losses.
      long abMoved = abSat - abLost;
      long baMoved = baSat - baLost;

      // The channel is the one opened, active, with no HTLC left, and its sats add up.
      for (String side : List.of(ALICE, BOB)) {
        await()
            .atMost(IN_FLIGHT_BOUND)
            .untilAsserted(
                () ->
                    assertThat(n.channel(side).path("pending_htlcs"))
                        .as("%s's HTLCs left on the channel", side)
                        .isEmpty());
      }
      JsonNode a = n.channel(ALICE);
      JsonNode b = n.channel(BOB);
      assertThat(a.path("active").asBoolean()).isTrue();
      assertThat(b.path("active").asBoolean()).isTrue();
      long capacity = a.path("capacity").asLong();
      assertThat(capacity).isEqualTo(PaymentNetwork.CAPACITY_SAT);
      long anchors =
          capacity
              - a.path("local_balance").asLong()
              - a.path("remote_balance").asLong()
              - a.path("commit_fee").asLong();
      assertThat(anchors)
          .as("capacity - local - remote - commit fee (%s)", a)
          .isIn(0L, ANCHORS_SAT);
      if (a.path("local_balance").asLong() + a.path("commit_fee").asLong()
              != aliceBefore - abMoved + baMoved
          || b.path("local_balance").asLong() != bobBefore + abMoved - baMoved) {
        // Which payment moved sats without being counted: every payment and settled invoice.
        ledger.forEach(l -> System.out.println("payments: ledger " + l));
        System.out.println("payments: alice's channel " + a + "; bob's channel " + b);
        for (String side : List.of(ALICE, BOB)) {
          for (JsonNode inv :
              n.node(side).get("/v1/invoices?num_max_invoices=10000").path("invoices")) {
            if ("SETTLED".equals(inv.path("state").asText())) {
              System.out.println(
                  "payments: settled at "
                      + side
                      + " "
                      + HexFormat.of()
                          .formatHex(Base64.getDecoder().decode(inv.path("r_hash").asText()))
                      + " "
                      + inv.path("amt_paid_sat").asText());
            }
          }
        }
        n.net.printPodLogs();
        // Every lnd's whole log, the killed and deleted leaders' too, for the HTLC's history.
        System.out.println("payments: every container's log kept in " + logs);
        n.keepLogsAndPrintReplays(logs, "payments: ", true);
        // lnd #9467: balances can lag a SUCCEEDED payment; a lag catches up, a loss does not.
        long expected = aliceBefore - abMoved + baMoved;
        boolean caughtUp;
        try {
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () -> {
                    JsonNode now = n.channel(ALICE);
                    return now.path("local_balance").asLong() + now.path("commit_fee").asLong()
                        == expected;
                  });
          caughtUp = true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          caughtUp = false;
        }
        System.out.println(
            "payments: alice's balance caught up within 30 s: "
                + caughtUp
                + "; alice's channel now "
                + n.channel(ALICE)
                + "; bob's channel now "
                + n.channel(BOB));
      }
      assertThat(a.path("local_balance").asLong() + a.path("commit_fee").asLong())
          .as(
              "alice's share: before %d, paid %d (%d of it failed back unpaid by lnd), received %d"
                  + " (%d of it failed back unpaid by lnd)",
              aliceBefore, abSat, abLost, baSat, baLost)
          .isEqualTo(aliceBefore - abMoved + baMoved);
      assertThat(b.path("local_balance").asLong())
          .as(
              "bob's balance: before %d, received %d (%d of it failed back unpaid by lnd), paid %d"
                  + " (%d of it failed back unpaid by lnd)",
              bobBefore, abSat, abLost, baSat, baLost)
          .isEqualTo(bobBefore + abMoved - baMoved);
      assertThat(b.path("remote_balance").asLong()).isEqualTo(a.path("local_balance").asLong());

      // Nothing was closed or is closing, on either side.
      for (String side : List.of(ALICE, BOB)) {
        assertThat(n.node(side).get("/v1/channels/closed").path("channels"))
            .as("%s's closed channels", side)
            .isEmpty();
        JsonNode pending = n.node(side).get("/v1/channels/pending");
        assertThat(pending.path("pending_force_closing_channels"))
            .as("%s force-closing", side)
            .isEmpty();
        assertThat(pending.path("waiting_close_channels")).as("%s waiting close", side).isEmpty();
        assertThat(n.info(side).path("identity_pubkey").asText())
            .isEqualTo(side.equals(ALICE) ? n.alicePubkey : n.bobPubkey);
      }

      // alice's channel state lives in PostgreSQL, bob's in etcd.
      assertThat(n.net.status(ALICE).database.backend).isEqualTo("postgres");
      assertThat(n.net.status(BOB).database.backend).isEqualTo("etcd");
      assertThat(n.postgres.rows(ALICE, "channeldb_kv"))
          .as("rows of alice's channel database in PostgreSQL")
          .isPositive();

      // The backup the operator keeps outside the pods covers the channel and verifies.
      LightningClusterStatus status = n.net.status(ALICE);
      assertThat(status.channelBackup).as("alice status.channelBackup").isNotNull();
      assertThat(status.channelBackup.channels).isEqualTo(1);
      Secret backup =
          n.net.client().secrets().inNamespace(NS).withName("alice-channel-backup").get();
      assertThat(backup.getMetadata().getOwnerReferences())
          .as("the channel backup is not deleted with the cluster")
          .isNullOrEmpty();
      assertThat(new String(Base64.getDecoder().decode(backup.getData().get("channel-points"))))
          .contains(n.channelPoint);
      Path file = Files.createTempFile("channel", ".backup");
      try {
        Files.write(file, Base64.getDecoder().decode(backup.getData().get("channel.backup")));
        SandboxKubelet.ExecResult verify =
            Lncli.run(
                n.net.cluster, NS, ALICE, List.of("verifychanbackup", "--multi_file=" + file));
        assertThat(verify.exitCode()).as("lncli verifychanbackup: %s", verify.output()).isZero();
      } finally {
        Files.deleteIfExists(file);
      }
      // The operator's own status reads carry a macaroon that reads and cannot move funds.
      for (String side : List.of(ALICE, BOB)) {
        Secret readOnly =
            n.net.client().secrets().inNamespace(NS).withName(side + "-readonly").get();
        Secret admin = n.net.client().secrets().inNamespace(NS).withName(side + "-admin").get();
        assertThat(readOnly).as("%s-readonly", side).isNotNull();
        byte[] mac = Base64.getDecoder().decode(readOnly.getData().get("readonly.macaroon"));
        assertThat(readOnly.getData().get("readonly.macaroon"))
            .as("%s's read-only macaroon is not the admin one", side)
            .isNotEqualTo(admin.getData().get("admin.macaroon"));
        NodeRest reader =
            NodeRest.of(
                side + "." + NS + ".svc",
                mac,
                Base64.getDecoder().decode(admin.getData().get("ca.crt")));
        assertThat(
                PaymentNetwork.retry(() -> reader.get("/v1/getinfo"))
                    .path("identity_pubkey")
                    .asText())
            .as("getinfo with %s's read-only macaroon", side)
            .isEqualTo(side.equals(ALICE) ? n.alicePubkey : n.bobPubkey);
        com.fasterxml.jackson.databind.node.ObjectNode invoice = NodeRest.body();
        invoice.put("value", "1000");
        assertThatThrownBy(() -> reader.post("/v1/invoices", invoice))
            .as("an invoice with %s's read-only macaroon", side)
            .isInstanceOf(NodeRest.RemoteError.class)
            .hasMessageContaining("permission denied");
        com.fasterxml.jackson.databind.node.ObjectNode send = NodeRest.body();
        send.put("addr", RegtestChain.burnAddress());
        send.put("amount", "10000");
        assertThatThrownBy(() -> reader.post("/v1/transactions", send))
            .as("sending coins with %s's read-only macaroon", side)
            .isInstanceOf(NodeRest.RemoteError.class)
            .hasMessageContaining("permission denied");
      }
      assertThat(n.net.failedReconciliations()).as("failed reconciliations").isZero();
      // No RPC credential, macaroon, key or seed in the operator's log, events, status or pods.
      assertThat(scan.logged("ChannelBackupUpdated")).as("the scan saw the run's log").isTrue();
      scan.assertNoSecretIn(n.net.client(), NS);
    }
  }

  /**
   * A btcd backend the operator cannot use with the members' settings is Degraded with a reason
   * that says why, and nothing is rolled onto the members: bob's leader stays routed and no pod is
   * replaced.
   */
  @Test
  @Order(2)
  void aBtcdBackendTheOperatorCannotUseDegradesWithoutTouchingTheMembers() throws Exception {
    var client = n.net.client();
    String leader = n.net.status(BOB).leader.pod;
    Map<String, String> uids = new TreeMap<>();
    client
        .pods()
        .inNamespace(NS)
        .withLabel("app.kubernetes.io/instance", BOB)
        .list()
        .getItems()
        .forEach(p -> uids.put(p.getMetadata().getName(), p.getMetadata().getUid()));
    assertThat(uids).isNotEmpty();
    CertificateAuthority other = CertificateAuthority.generate("not btcd");
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("btcd-other-cert")
                .withNamespace(NS)
                .endMetadata()
                .addToStringData("rpc.cert", other.certificatePem())
                .build())
        .create();
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("btcd-wrong-password")
                .withNamespace(NS)
                .endMetadata()
                .addToStringData("rpcuser", RegtestChain.USER)
                .addToStringData("rpcpass", "not-the-password")
                .build())
        .create();
    var original =
        client
            .resources(dev.operator.lightning.api.LightningCluster.class)
            .inNamespace(NS)
            .withName(BOB)
            .get()
            .getSpec()
            .chain
            .btcd;
    record Case(
        String what,
        java.util.function.Consumer<dev.operator.lightning.api.BtcdSpec> change,
        String reason) {}
    List<Case> cases =
        List.of(
            new Case(
                "credentials Secret missing",
                b ->
                    b.rpcCredentialsSecretRef =
                        new dev.operator.lightning.api.SecretRef("no-such-secret"),
                "SecretNotFound"),
            new Case(
                "certificate of another server",
                b ->
                    b.rpcCertSecretRef =
                        new dev.operator.lightning.api.SecretKeyRef("btcd-other-cert", null),
                "ChainCertificateRejected"),
            new Case(
                "wrong password",
                b ->
                    b.rpcCredentialsSecretRef =
                        new dev.operator.lightning.api.SecretRef("btcd-wrong-password"),
                "ChainCredentialsRejected"),
            new Case(
                "unreachable",
                b -> b.rpcHost = "btcd." + NS + ".svc:18999",
                "ChainBackendUnreachable"));
    for (Case c : cases) {
      Clusters.edit(
          client,
          NS,
          BOB,
          lc -> {
            var btcd = new dev.operator.lightning.api.BtcdSpec();
            btcd.rpcHost = original.rpcHost;
            btcd.rpcCredentialsSecretRef = original.rpcCredentialsSecretRef;
            btcd.rpcCertSecretRef = original.rpcCertSecretRef;
            c.change().accept(btcd);
            lc.getSpec().chain.btcd = btcd;
            return lc;
          });
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                LightningClusterStatus st = n.net.status(BOB);
                assertThat(st.conditions)
                    .as("bob's conditions with a btcd backend: %s", c.what())
                    .anySatisfy(
                        k -> {
                          assertThat(k.getType()).isEqualTo("Degraded");
                          assertThat(k.getStatus()).isEqualTo("True");
                          assertThat(k.getReason()).isEqualTo(c.reason());
                        });
              });
      assertThat(n.net.status(BOB).leader.pod).as("bob's leader (%s)", c.what()).isEqualTo(leader);
      n.net.awaitLeader(BOB, null, Duration.ofSeconds(10));
    }
    Clusters.edit(
        client,
        NS,
        BOB,
        lc -> {
          lc.getSpec().chain.btcd = original;
          return lc;
        });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(n.net.status(BOB).conditions)
                    .anySatisfy(
                        k -> {
                          assertThat(k.getType()).isEqualTo("Degraded");
                          assertThat(k.getStatus()).isEqualTo("False");
                        }));
    Map<String, String> after = new TreeMap<>();
    client
        .pods()
        .inNamespace(NS)
        .withLabel("app.kubernetes.io/instance", BOB)
        .list()
        .getItems()
        .forEach(p -> after.put(p.getMetadata().getName(), p.getMetadata().getUid()));
    assertThat(after).as("bob's pods, by name and uid").isEqualTo(uids);
    assertThat(n.net.status(BOB).leader.pod).isEqualTo(leader);
    assertThat(n.bob().get("/v1/getinfo").path("identity_pubkey").asText()).isEqualTo(n.bobPubkey);
  }

  /** neutrino, the light client, against the same btcd over P2P. */
  @Test
  @Order(3)
  void aNeutrinoMemberSyncsFromTheSameBtcd() {
    var lc = n.cluster("carol", 1);
    lc.getSpec().chain = new dev.operator.lightning.api.ChainSpec();
    lc.getSpec().chain.backend = dev.operator.lightning.api.ChainBackend.neutrino;
    lc.getSpec().chain.neutrino = new dev.operator.lightning.api.NeutrinoSpec();
    lc.getSpec().chain.neutrino.connect = List.of("btcd." + NS + ".svc:18444");
    n.net.apply(lc);
    n.net.awaitLeader("carol", null, Duration.ofSeconds(180));
    n.awaitSynced("carol");
    assertThat(n.net.status("carol").node.blockHeight)
        .as("carol's block height, from neutrino")
        .isEqualTo(n.chain.height());
  }

  /**
   * The worst day: alice and all its etcd data are gone. A new cluster from the kept seed and
   * channel-backup Secrets has alice's identity, makes bob force-close the channel, and sweeps
   * alice's side of it back into its wallet.
   */
  @Test
  @Order(4)
  void theKeptSeedAndChannelBackupBringAlicesFundsBack() throws Exception {
    JsonNode channel = n.channel(ALICE);
    long aliceSide = channel.path("local_balance").asLong();
    assertThat(aliceSide).as("alice's side of the channel").isPositive();
    var client = n.net.client();
    var clusters =
        client.resources(dev.operator.lightning.api.LightningCluster.class).inNamespace(NS);
    clusters.withName(ALICE).delete();
    await()
        .atMost(Duration.ofSeconds(120))
        .untilAsserted(
            () ->
                assertThat(client.pods().inNamespace(NS).list().getItems())
                    .as("alice's pods after the cluster was deleted")
                    .noneMatch(p -> p.getMetadata().getName().startsWith(ALICE + "-")));
    client.persistentVolumeClaims().inNamespace(NS).list().getItems().stream()
        .filter(c -> c.getMetadata().getName().contains(ALICE + "-etcd"))
        .forEach(c -> client.resource(c).delete());
    // alice's wallet and channels in PostgreSQL are lost too.
    n.postgres.dropDatabase(ALICE);
    for (String kept : List.of("alice-wallet-seed", "alice-channel-backup", "alice-macaroon-key")) {
      assertThat(client.secrets().inNamespace(NS).withName(kept).get())
          .as("Secret %s after the cluster was deleted", kept)
          .isNotNull();
    }
    // Coinbase paid to alice's old address would blur the swept amount: blocks pay nobody now.
    String burn = RegtestChain.burnAddress();

    String restored = "alice-restored";
    var lc = n.cluster(restored, 1);
    lc.getSpec().wallet = new dev.operator.lightning.api.WalletSpec();
    lc.getSpec().wallet.seedSecretRef =
        new dev.operator.lightning.api.SecretRef("alice-wallet-seed");
    lc.getSpec().wallet.channelBackupSecretRef =
        new dev.operator.lightning.api.SecretKeyRef("alice-channel-backup", null);
    n.net.apply(lc);
    n.net.awaitLeader(restored, null, Duration.ofSeconds(180));
    assertThat(n.info(restored).path("identity_pubkey").asText())
        .as("the restored node's identity")
        .isEqualTo(n.alicePubkey);
    NodeRest node = n.node(restored);

    // The restored node asks bob to close: bob publishes its commitment.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              JsonNode pending = n.bob().get("/v1/channels/pending");
              assertThat(pending.toString())
                  .as("bob's pending channels after alice's restore")
                  .contains(n.channelPoint);
              assertThat(
                      pending.path("waiting_close_channels").toString()
                          + pending.path("pending_force_closing_channels"))
                  .contains(n.channelPoint);
            });
    // Blocks now pay nobody; the restored node sweeps its side of bob's commitment.
    long[] swept = new long[1];
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              n.chain.mine(burn, 1);
              JsonNode resolution = null;
              for (JsonNode c : node.get("/v1/channels/closed").path("channels")) {
                if (n.channelPoint.equals(c.path("channel_point").asText())) {
                  for (JsonNode r : c.path("resolutions")) {
                    if ("COMMIT".equals(r.path("resolution_type").asText())) {
                      resolution = r;
                    }
                  }
                }
              }
              assertThat(resolution)
                  .as("the restored node's resolution of its commit output")
                  .isNotNull();
              assertThat(resolution.path("outcome").asText()).isEqualTo("CLAIMED");
              String sweep = resolution.path("sweep_txid").asText();
              long utxo = 0;
              for (JsonNode u : node.get("/v1/utxos?min_confs=1&max_confs=100000").path("utxos")) {
                if (sweep.equals(u.path("outpoint").path("txid_str").asText())) {
                  utxo += u.path("amount_sat").asLong();
                }
              }
              swept[0] = utxo;
              assertThat(swept[0])
                  .as("swept into the restored wallet by %s (alice's side %d)", sweep, aliceSide)
                  .isGreaterThan(aliceSide - 20_000)
                  .isLessThanOrEqualTo(aliceSide);
            });
    System.out.printf(
        "disaster recovery: alice's side %d sat, swept back %d sat (fees %d sat)%n",
        aliceSide, swept[0], aliceSide - swept[0]);
    JsonNode bobOpen = n.bob().get("/v1/channels");
    assertThat(bobOpen.toString()).as("bob's open channels").doesNotContain(n.channelPoint);
  }

  /**
   * lnd's settled-then-failed-back loss after a kill needs a kill of the payee's leader in the run.
   */
  private static void assertPayeeKilled(
      List<Fault> faults, String payee, SettledUnpaidHtlcs.Evidence lost) {
    if (!lost.afterKill()) {
      // Settled, failed to mark processed and failed back by one run: no kill in that story.
      return;
    }
    assertThat(faults)
        .as("kills of %s, whose HTLC lnd settled and failed back: %s", payee, lost)
        .anyMatch(f -> f.cluster().equals(payee) && f.kill());
  }

  /** A fault of the run: a kill -9 or a deletion of a cluster's leader, and what followed. */
  private record Fault(String cluster, boolean kill, String leader, Instant at, String outcome) {
    @Override
    public String toString() {
      return outcome;
    }
  }

  /** One fault in {@code name}, once payments flow again after it. */
  private static Fault failover(
      PaymentNetwork n, String name, boolean kill, PaymentDriver ab, PaymentDriver ba)
      throws Exception {
    PaymentDriver outgoing = name.equals(ALICE) ? ab : ba;
    String leader = n.net.status(name).leader.pod;
    if (kill) {
      // A kill while a payment is on its way out of the dying leader.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(1))
          .until(() -> outgoing.inFlight() > 0);
      n.net.cluster.nodes().killContainer(leader);
    } else {
      n.net.client().pods().inNamespace(NS).withName(leader).delete();
    }
    Instant fault = Instant.now();
    String next = n.net.awaitLeader(name, leader, FAILOVER_DEADLINE);
    long succeeded = ab.succeeded() + ba.succeeded();
    n.awaitChannelActive(ALICE);
    n.awaitChannelActive(BOB);
    await()
        .atMost(FAILOVER_DEADLINE)
        .untilAsserted(
            () ->
                assertThat(ab.succeeded() + ba.succeeded())
                    .as("payments after the %s of %s", kill ? "kill" : "deletion", leader)
                    .isGreaterThan(succeeded));
    long ms = Duration.between(fault, Instant.now()).toMillis();
    assertThat(n.info(name).path("identity_pubkey").asText())
        .as("identity of %s's new leader %s", name, next)
        .isEqualTo(name.equals(ALICE) ? n.alicePubkey : n.bobPubkey);
    return new Fault(
        name,
        kill,
        leader,
        fault,
        String.format(
            "%s of %s at %s -> %s active; a payment succeeded again after %d ms",
            kill ? "kill -9" : "deletion", leader, fault, next, ms));
  }

  private static List<PaymentDriver.Payment> concat(
      List<PaymentDriver.Payment> a, List<PaymentDriver.Payment> b) {
    List<PaymentDriver.Payment> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
