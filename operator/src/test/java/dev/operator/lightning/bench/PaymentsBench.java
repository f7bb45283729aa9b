package dev.operator.lightning.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.api.DatabaseBackend;
import dev.operator.lightning.it.MemberStates;
import dev.operator.lightning.it.NodeRest;
import dev.operator.lightning.it.PaymentDriver;
import dev.operator.lightning.it.PaymentNetwork;
import dev.operator.lightning.it.SoloNode;
import dev.operator.lightning.lnd.LndRestClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * {@code make bench-payments}: payments per second alice -> bob through the leader Services (1 and
 * 8 concurrent payers), beside the same lnd binary as two plain pods on bbolt (no cluster); then
 * the payment outage of kills and deletions of alice's leader (fault -> first later successful
 * payment), beside lnd's own activation time (elected -> SERVER_ACTIVE) in the same run. Prints
 * figures; asserts nothing.
 */
class PaymentsBench {
  private static final String NS = "bench-payments";
  private static final Duration WINDOW = Duration.ofSeconds(Long.getLong("bench.window", 30));

  @Test
  void payments() throws Exception {
    int rounds = Integer.getInteger("bench.rounds", 10);
    String layouts = System.getProperty("bench.database", "etcd,postgres");
    Map<String, Double> rates = new LinkedHashMap<>();
    List<String> outages = new ArrayList<>();
    boolean baseline = false;
    for (String layout : layouts.split(",")) {
      DatabaseBackend backend = DatabaseBackend.valueOf(layout.strip());
      outages.add(measure(backend, rounds, !baseline, rates));
      baseline = true;
    }
    System.out.printf(
        "%npayments per second, alice -> bob (direct channel, %d s windows)%n", WINDOW.toSeconds());
    rates.forEach((k, v) -> System.out.printf("  %-44s %8.2f%n", k, v));
    for (String layout : layouts.split(",")) {
      String c = "cluster (" + layout.strip() + "), ";
      System.out.printf(
          "  ratio cluster (%s) / single node: 1 payer %.2f, 8 payers %.2f%n",
          layout.strip(),
          rates.get(c + "1 payer") / rates.get("single node (bbolt), 1 payer"),
          rates.get(c + "8 payers") / rates.get("single node (bbolt), 8 payers"));
    }
    outages.forEach(System.out::print);
  }

  /**
   * One network with alice's data in {@code backend} (bob on etcd, 1 member): the payment rates,
   * the bbolt baseline if asked, and the outage table, returned as text.
   */
  private static String measure(
      DatabaseBackend backend, int rounds, boolean withBaseline, Map<String, Double> rates)
      throws Exception {
    try (PaymentNetwork n =
        backend == DatabaseBackend.postgres
            ? PaymentNetwork.startWithAliceOnPostgres(NS, 3, 1)
            : PaymentNetwork.start(NS, 3, 1)) {
      rates.put("cluster (" + backend + "), 1 payer", rate(n::alice, n::bob, 1));
      rates.put("cluster (" + backend + "), 8 payers", rate(n::alice, n::bob, 8));
      if (withBaseline) {
        SoloNode a = SoloNode.start(n.net.client(), NS, "solo-a", n.chain);
        SoloNode b = SoloNode.start(n.net.client(), NS, "solo-b", n.chain);
        openChannel(n, a, b);
        rates.put("single node (bbolt), 1 payer", rate(a::rest, b::rest, 1));
        rates.put("single node (bbolt), 8 payers", rate(a::rest, b::rest, 8));
      }

      List<Long> kills = new ArrayList<>();
      List<Long> deletions = new ArrayList<>();
      List<Long> activations = new ArrayList<>();
      Map<String, String> hosts = new LinkedHashMap<>();
      for (int i = 0; i < 3; i++) {
        hosts.put("alice-" + i, "alice-" + i + ".alice-members." + NS + ".svc");
      }
      try (MemberStates states =
              new MemberStates(
                  new LndRestClient(clusterCa(n)), hosts, n.net.cluster.nodes()::podIp);
          PaymentDriver driver = new PaymentDriver("alice->bob", n::alice, n::bob)) {
        for (int i = 0; i < 2 * rounds; i++) {
          boolean kill = i % 2 == 0;
          String leader = n.net.status(PaymentNetwork.ALICE).leader.pod;
          long before = driver.succeeded();
          await().atMost(Duration.ofSeconds(60)).until(() -> driver.succeeded() > before);
          Instant fault = Instant.now();
          if (kill) {
            n.net.cluster.nodes().killContainer(leader);
          } else {
            n.net.client().pods().inNamespace(NS).withName(leader).delete();
          }
          String next = n.net.awaitLeader(PaymentNetwork.ALICE, leader, Duration.ofSeconds(120));
          Instant[] paid = new Instant[1];
          await()
              .atMost(Duration.ofSeconds(120))
              .until(
                  () -> {
                    paid[0] =
                        driver.payments().stream()
                            .filter(p -> "SUCCEEDED".equals(p.outcome) && p.started.isAfter(fault))
                            .map(p -> p.ended)
                            .min(Instant::compareTo)
                            .orElse(null);
                    return paid[0] != null;
                  });
          long outage = Duration.between(fault, paid[0]).toMillis();
          (kill ? kills : deletions).add(outage);
          Instant elected = states.firstElected(next, fault).orElse(null);
          Instant active = states.firstActive(next, fault).orElse(null);
          long activation =
              elected != null && active != null ? Duration.between(elected, active).toMillis() : -1;
          if (activation >= 0) {
            activations.add(activation);
          }
          System.out.printf(
              "%s round %2d: %s of %s -> %s; lnd elected -> active %d ms; payment outage %d ms%n",
              backend, i + 1, kill ? "kill -9" : "deletion", leader, next, activation, outage);
        }
      }
      return Percentiles.table(
          String.format(
              "%npayment outage, alice 3 members, data in %s, managed etcd of 1, %d rounds each%n",
              backend, rounds),
          List.of(
              Map.entry("kill -9 of alice's leader -> next successful payment", kills),
              Map.entry("deletion of alice's leader -> next successful payment", deletions),
              Map.entry("lnd's own activation (elected -> SERVER_ACTIVE)", activations)));
    }
  }

  /** Succeeded payments per second over {@link #WINDOW} with {@code payers} concurrent payers. */
  private static double rate(Supplier<NodeRest> payer, Supplier<NodeRest> payee, int payers) {
    List<PaymentDriver> drivers = new ArrayList<>();
    for (int i = 0; i < payers; i++) {
      drivers.add(new PaymentDriver("p" + i, payer, payee));
    }
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> drivers.stream().anyMatch(d -> d.succeeded() > 0));
      Instant from = Instant.now();
      Instant to = from.plus(WINDOW);
      await().pollDelay(WINDOW).atMost(WINDOW.plusSeconds(5)).until(() -> true);
      long done =
          drivers.stream()
              .flatMap(d -> d.payments().stream())
              .filter(p -> "SUCCEEDED".equals(p.outcome) && p.ended != null)
              .filter(p -> !p.ended.isBefore(from) && p.ended.isBefore(to))
              .count();
      return done / (double) WINDOW.toSeconds();
    } finally {
      drivers.forEach(PaymentDriver::close);
    }
  }

  private static void openChannel(PaymentNetwork n, SoloNode a, SoloNode b) throws Exception {
    NodeRest ra = a.rest();
    NodeRest rb = b.rest();
    String address =
        PaymentNetwork.retry(() -> ra.get("/v1/newaddress?type=WITNESS_PUBKEY_HASH"))
            .path("address")
            .asText();
    n.chain.mine(address, 101);
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(
            () ->
                ra.get("/v1/balance/blockchain").path("confirmed_balance").asLong()
                    > PaymentNetwork.CAPACITY_SAT);
    String pubkey = rb.get("/v1/getinfo").path("identity_pubkey").asText();
    ObjectNode peer = NodeRest.body();
    peer.putObject("addr").put("pubkey", pubkey).put("host", b.host + ":9735");
    PaymentNetwork.retry(() -> ra.post("/v1/peers", peer));
    ObjectNode open = NodeRest.body();
    open.put("node_pubkey", Base64.getEncoder().encodeToString(HexFormat.of().parseHex(pubkey)));
    open.put("local_funding_amount", Long.toString(PaymentNetwork.CAPACITY_SAT));
    open.put("push_sat", Long.toString(PaymentNetwork.PUSH_SAT));
    PaymentNetwork.retry(() -> ra.post("/v1/channels", open));
    n.chain.mine(address, 6);
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(
            () -> {
              for (JsonNode c : ra.get("/v1/channels").path("channels")) {
                if (c.path("active").asBoolean()) {
                  return true;
                }
              }
              return false;
            });
  }

  private static java.security.cert.X509Certificate clusterCa(PaymentNetwork n) throws Exception {
    var admin = n.net.client().secrets().inNamespace(NS).withName("alice-admin").get();
    byte[] pem = Base64.getDecoder().decode(admin.getData().get("ca.crt"));
    return (java.security.cert.X509Certificate)
        java.security.cert.CertificateFactory.getInstance("X.509")
            .generateCertificate(new java.io.ByteArrayInputStream(pem));
  }
}
