package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.harness.Tools;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Two LightningClusters, alice and bob, on one btcd regtest chain of the local cluster, with one
 * channel alice -> bob funded by alice and part of it pushed to bob, so both sides can pay.
 */
public final class PaymentNetwork implements AutoCloseable {
  public static final String ALICE = "alice";
  public static final String BOB = "bob";
  public static final long CAPACITY_SAT = 1_000_000;
  public static final long PUSH_SAT = 400_000;
  static final Duration DEADLINE = Duration.ofSeconds(180);
  private static final String MATURITY_NOTE = "a mature coinbase on-chain";

  public final DemoCluster net;
  public final RegtestChain chain;

  /** The paying cluster's name: {@value #ALICE} unless a campaign gives its own. */
  public final String aliceName;

  /** Whether btcd and bob run on a node of their own, out of reach of faults aimed at alice's. */
  public final boolean outside;

  public final String alicePubkey;
  public final String bobPubkey;
  public final String channelPoint;

  /** The PostgreSQL alice keeps its data in, or null when alice's data is in etcd. */
  public final PostgresServer postgres;

  private PaymentNetwork(
      String ns,
      String aliceName,
      int aliceMembers,
      int bobMembers,
      java.util.function.Consumer<String> progress,
      boolean aliceOnPostgres,
      java.util.function.UnaryOperator<LightningCluster> aliceShape,
      java.util.function.UnaryOperator<LightningCluster> bobShape,
      boolean outside)
      throws Exception {
    this.aliceName = aliceName;
    this.outside = outside;
    this.net = outside ? DemoCluster.startWithOutsideNode(ns) : DemoCluster.start(ns);
    try {
      progress.accept("btcd on regtest: a pod and its Service, from manifests/regtest/btcd.yaml");
      this.chain = RegtestChain.deploy(net.cluster, ns, outside ? DemoCluster::outside : null);
      this.postgres = aliceOnPostgres ? PostgresServer.deploy(net.cluster, ns) : null;
      chain.mine(RegtestChain.burnAddress(), RegtestChain.ACTIVATION_BLOCKS);
      progress.accept(
          "mined "
              + RegtestChain.ACTIVATION_BLOCKS
              + " blocks (segwit and taproot active); applying LightningClusters alice ("
              + aliceMembers
              + " members) and bob ("
              + bobMembers
              + ") on it");
      LightningCluster alice = aliceShape.apply(cluster(aliceName, aliceMembers));
      if (postgres != null) {
        Clusters.withPostgres(alice, postgres.createDatabase(aliceName), PostgresServer.CA_SECRET);
      }
      net.apply(alice);
      LightningCluster bob = bobShape.apply(cluster(BOB, bobMembers));
      net.apply(outside ? DemoCluster.outside(forgiving(bob)) : bob);
      net.awaitLeader(aliceName, null, DEADLINE);
      net.awaitLeader(BOB, null, DEADLINE);
      progress.accept("both leaders active; funding alice from the miner");
      String address =
          retry(() -> alice().get("/v1/newaddress?type=WITNESS_PUBKEY_HASH"))
              .path("address")
              .asText();
      chain.mine(address, RegtestChain.MATURITY_BLOCKS);
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                JsonNode balance = alice().get("/v1/balance/blockchain");
                assertThat(balance.path("confirmed_balance").asLong())
                    .as("alice's confirmed on-chain balance: %s", balance)
                    .isGreaterThan(CAPACITY_SAT);
              });
      awaitSynced(aliceName);
      awaitSynced(BOB);
      this.alicePubkey = info(aliceName).path("identity_pubkey").asText();
      this.bobPubkey = info(BOB).path("identity_pubkey").asText();
      progress.accept(
          "alice has " + MATURITY_NOTE + "; opening a channel of " + CAPACITY_SAT + " sat to bob");

      ObjectNode peer = NodeRest.body();
      peer.putObject("addr").put("pubkey", bobPubkey).put("host", BOB + "." + ns + ".svc:9735");
      peer.put("perm", true);
      retry(() -> alice().post("/v1/peers", peer));
      ObjectNode open = NodeRest.body();
      open.put(
          "node_pubkey", Base64.getEncoder().encodeToString(HexFormat.of().parseHex(bobPubkey)));
      open.put("local_funding_amount", Long.toString(CAPACITY_SAT));
      open.put("push_sat", Long.toString(PUSH_SAT));
      JsonNode point = retry(() -> alice().post("/v1/channels", open));
      byte[] txid = Base64.getDecoder().decode(point.path("funding_txid_bytes").asText());
      byte[] reversed = new byte[txid.length];
      for (int i = 0; i < txid.length; i++) {
        reversed[i] = txid[txid.length - 1 - i];
      }
      this.channelPoint =
          HexFormat.of().formatHex(reversed) + ":" + point.path("output_index").asInt();
      chain.mine(address, 6);
      awaitChannelActive(aliceName);
      awaitChannelActive(BOB);
      progress.accept("channel " + channelPoint + " active on both sides");
    } catch (Exception | AssertionError e) {
      net.printPodLogs();
      net.close();
      throw e;
    }
  }

  /** Starts the network; the channel is active on both sides when this returns. */
  public static PaymentNetwork start(String ns, int aliceMembers, int bobMembers) throws Exception {
    return new PaymentNetwork(
        ns, ALICE, aliceMembers, bobMembers, m -> {}, false, lc -> lc, lc -> lc, false);
  }

  /**
   * A network whose paying cluster is {@code aliceName}, shaped by {@code aliceShape} after the
   * defaults (its etcd, its session), with one bob member shaped by {@code bobShape}; btcd and bob
   * run on the local cluster's outside node, so a campaign strikes alice's nodes alone while both
   * sides pay.
   */
  public static PaymentNetwork startWith(
      String ns,
      String aliceName,
      int aliceMembers,
      java.util.function.UnaryOperator<LightningCluster> aliceShape,
      java.util.function.UnaryOperator<LightningCluster> bobShape,
      java.util.function.Consumer<String> progress)
      throws Exception {
    return new PaymentNetwork(
        ns, aliceName, aliceMembers, 1, progress, false, aliceShape, bobShape, true);
  }

  /**
   * A node that gets its channel back within seconds of each drop, however many drops came before.
   * lnd doubles its wait before reconnecting to a persistent peer after every connection that
   * lasted under 10 min, up to {@code maxbackoff} (an hour): a leader that stays through a run of
   * etcd faults (each can fail the channel's link on a database error and drop the peer) waited
   * more than 120 s by the 18th fault of a campaign, every payment meanwhile ending
   * INSUFFICIENT_BALANCE (no link). And mission control holds a failed attempt over its own channel
   * against it for about a minute (probability 0.95 x (1 - 2^(-t/1h)) must reach 0.01). A campaign
   * would time lnd's waits, not the failover.
   */
  public static LightningCluster forgiving(LightningCluster lc) {
    lc.getSpec().lnd.config += "maxbackoff=5s\nrouterrpc.apriori.penaltyhalflife=30s\n";
    return lc;
  }

  /** As {@link #start(String, int, int)}, with alice's data in PostgreSQL (bob's stays in etcd). */
  public static PaymentNetwork startWithAliceOnPostgres(String ns, int aliceMembers, int bobMembers)
      throws Exception {
    return new PaymentNetwork(
        ns, ALICE, aliceMembers, bobMembers, m -> {}, true, lc -> lc, lc -> lc, false);
  }

  /** As {@link #start(String, int, int)}, saying what it does at each step. */
  public static PaymentNetwork start(
      String ns, int aliceMembers, int bobMembers, java.util.function.Consumer<String> progress)
      throws Exception {
    return new PaymentNetwork(
        ns, ALICE, aliceMembers, bobMembers, progress, false, lc -> lc, lc -> lc, false);
  }

  /** A LightningCluster like the demo's, on the chain's btcd, with an alias of its name. */
  public LightningCluster cluster(String name, int members) {
    LightningCluster lc =
        net.client()
            .resources(LightningCluster.class)
            .load(Tools.locate().repoRoot().resolve("manifests/examples/demo.yaml").toFile())
            .item();
    lc.getMetadata().setName(name);
    lc.getSpec().replicas = members;
    // One etcd member per cluster: on two cores, CPU goes to the payments.
    lc.getSpec().etcd.managed.replicas = 1;
    lc.getSpec().lnd.config = "alias=" + name + "\n";
    return chain.attach(lc);
  }

  public NodeRest alice() {
    return NodeRest.forCluster(net.client(), net.ns, aliceName);
  }

  public NodeRest bob() {
    return NodeRest.forCluster(net.client(), net.ns, BOB);
  }

  public NodeRest node(String name) {
    return NodeRest.forCluster(net.client(), net.ns, name);
  }

  public JsonNode info(String name) throws Exception {
    return retry(() -> node(name).get("/v1/getinfo"));
  }

  /** The channel as {@code name} lists it, or null. */
  public JsonNode channel(String name) throws Exception {
    for (JsonNode c : node(name).get("/v1/channels").path("channels")) {
      if (channelPoint.equals(c.path("channel_point").asText())) {
        return c;
      }
    }
    return null;
  }

  public void awaitChannelActive(String name) {
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              JsonNode c = channel(name);
              assertThat(c).as("%s's channel %s", name, channelPoint).isNotNull();
              assertThat(c.path("active").asBoolean())
                  .as("%s's channel active: %s", name, c)
                  .isTrue();
            });
  }

  /** The operator reports the leader synced to the chain (status.node and ChainSynced). */
  public void awaitSynced(String name) {
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              LightningClusterStatus s = net.status(name);
              assertThat(s.node).as("%s status.node", name).isNotNull();
              assertThat(s.node.syncedToChain).as("%s status.node: synced", name).isTrue();
              assertThat(s.conditions)
                  .anySatisfy(
                      c -> {
                        assertThat(c.getType()).isEqualTo("ChainSynced");
                        assertThat(c.getStatus()).isEqualTo("True");
                      });
            });
  }

  /**
   * Keeps every container's whole log in {@code dir} and prints, prefixed, the lnd lines that show
   * a settled HTLC failed back as a replay (the payee's next start) and the payer dropping that
   * fail; {@code settles} adds the payee's "settling htlc ... as exit hop" lines.
   */
  public void keepLogsAndPrintReplays(java.nio.file.Path dir, String prefix, boolean settles)
      throws java.io.IOException {
    net.cluster.nodes().keepContainerLogs(dir);
    try (var logs = java.nio.file.Files.list(dir)) {
      for (java.nio.file.Path log : (Iterable<java.nio.file.Path>) logs::iterator) {
        for (String line : java.nio.file.Files.readAllLines(log)) {
          if (line.contains("replay attempted")
              || line.contains("InvalidOnionVersion")
              || line.contains("unable to find target channel for HTLC fail")
              || (settles && line.contains("as exit hop"))) {
            System.out.println(prefix + log.getFileName() + ": " + line);
          }
        }
      }
    }
  }

  public interface Call {
    JsonNode call() throws Exception;
  }

  /** A call through a leader Service, repeated while the leader is failing over. */
  public static JsonNode retry(Call c) throws Exception {
    JsonNode[] out = new JsonNode[1];
    await()
        .atMost(DEADLINE)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              out[0] = c.call();
              return true;
            });
    return out[0];
  }

  @Override
  public void close() {
    net.close();
  }
}
