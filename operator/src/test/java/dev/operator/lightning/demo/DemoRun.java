package dev.operator.lightning.demo;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.it.NodeRest;
import dev.operator.lightning.it.PaymentDriver;
import dev.operator.lightning.it.PaymentNetwork;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import org.junit.jupiter.api.Test;

/**
 * {@code make demo}: the local cluster (a real kube-apiserver and kube-controller-manager, the pod
 * network, and a kubelet that runs pods as the real etcd, lnd and btcd), and the operator. A btcd
 * regtest chain, two LightningClusters (alice with 3 members, bob with 1) and a channel between
 * them; alice pays bob through its leader Service, alice's leader is killed with kill -9 while
 * payments keep being sent, and the demo shows the failover, the measured payment outage, the first
 * payment after it and the same node identity. It stops everything it started (also on Ctrl-C).
 */
class DemoRun {
  private static final String NS = "demo";

  @Test
  void demo() throws Exception {
    say("starting the local cluster (kube-apiserver, kube-controller-manager, pod network,");
    say("kubelet) and the operator");
    Instant started = Instant.now();
    PaymentNetwork n = PaymentNetwork.start(NS, 3, 1, DemoRun::say);
    // Ctrl-C: stop etcd, lnd, btcd and the control plane too, and remove the pod network.
    Thread cleanup = new Thread(n::close, "demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      KubernetesClient k8s = n.net.client();
      say(
          String.format(
              "ready %d s after start", Duration.between(started, Instant.now()).toSeconds()));
      // lnd reports a new channel active a moment before its router pays over it: the first
      // payment waits for the operator's status to count the channel, and is tried again while
      // lnd turns it down, so the demo shows a payment rather than that race.
      awaitStatusShowsTheChannel(n);
      System.out.println(table(k8s));

      Instant t = Instant.now();
      int refused = 0;
      JsonNode paid = payOnce(n);
      while (!"SUCCEEDED".equals(paid.path("status").asText())
          && Duration.between(t, Instant.now()).compareTo(Duration.ofSeconds(30)) < 0) {
        refused++;
        await().pollDelay(Duration.ofMillis(500)).until(() -> true);
        paid = payOnce(n);
      }
      say(
          String.format(
              "alice pays bob %d sat through Service alice: %s in %d ms%s",
              PaymentDriver.AMOUNT_SAT,
              paid.path("status").asText(),
              Duration.between(t, Instant.now()).toMillis(),
              refused == 0
                  ? ""
                  : " (after "
                      + refused
                      + " attempt(s) lnd turned down while it took up the channel)"));

      String leader = n.net.status(PaymentNetwork.ALICE).leader.pod;
      String identity = n.info(PaymentNetwork.ALICE).path("identity_pubkey").asText();
      try (PaymentDriver driver = new PaymentDriver("alice->bob", n::alice, n::bob)) {
        long before = driver.succeeded();
        await().atMost(Duration.ofSeconds(60)).until(() -> driver.succeeded() > before);
        say(
            "alice keeps paying bob, one payment after the other; kill -9 of alice's leader "
                + leader);
        Instant kill = Instant.now();
        n.net.cluster.nodes().killContainer(leader);
        String next = n.net.awaitLeader(PaymentNetwork.ALICE, leader, Duration.ofSeconds(120));
        long failover = Duration.between(kill, Instant.now()).toMillis();
        PaymentDriver.Payment[] first = new PaymentDriver.Payment[1];
        await()
            .atMost(Duration.ofSeconds(120))
            .until(
                () -> {
                  first[0] =
                      driver.payments().stream()
                          .filter(p -> "SUCCEEDED".equals(p.outcome) && p.started.isAfter(kill))
                          .min(Comparator.comparing(p -> p.ended))
                          .orElse(null);
                  return first[0] != null;
                });
        say(
            String.format(
                "failover: %s -> %s, active and routed %d ms after the kill (lease TTL 30 s)",
                leader, next, failover));
        say(
            String.format(
                "first payment after the kill succeeded %d ms after it (payment %s...)",
                Duration.between(kill, first[0].ended).toMillis(),
                first[0].hashHex.substring(0, 16)));
      }
      String after = n.info(PaymentNetwork.ALICE).path("identity_pubkey").asText();
      say(
          "identity behind Service alice: "
              + after
              + (after.equals(identity) ? " (the same node)" : " (DIFFERENT: state not shared!)"));
      JsonNode channel = n.channel(PaymentNetwork.ALICE);
      say(
          String.format(
              "channel %s: active %s, alice %d sat, bob %d sat",
              n.channelPoint,
              channel.path("active").asBoolean(),
              channel.path("local_balance").asLong(),
              channel.path("remote_balance").asLong()));
      printEvents(k8s);
      awaitStatusShowsTheChannel(n);
      System.out.println(table(k8s));
      say("stopping everything the demo started");
    } finally {
      Runtime.getRuntime().removeShutdownHook(cleanup);
      n.close();
    }
  }

  /** The operator reads the leader's node every pass (at most 10 s apart): wait for that read. */
  private static void awaitStatusShowsTheChannel(PaymentNetwork n) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              LightningClusterStatus s = n.net.status(PaymentNetwork.ALICE);
              return s != null
                  && s.node != null
                  && Boolean.TRUE.equals(s.node.syncedToChain)
                  && Integer.valueOf(1).equals(s.node.activeChannels);
            });
  }

  private static JsonNode payOnce(PaymentNetwork n) throws Exception {
    ObjectNode inv = NodeRest.body();
    inv.put("value", Long.toString(PaymentDriver.AMOUNT_SAT));
    String request = n.bob().post("/v1/invoices", inv).path("payment_request").asText();
    ObjectNode send = NodeRest.body();
    send.put("payment_request", request);
    send.put("timeout_seconds", 30);
    send.put("fee_limit_sat", "100");
    send.put("no_inflight_updates", true);
    return n.alice().stream(
        "/v2/router/send",
        send,
        p -> p.path("status").asText().matches("SUCCEEDED|FAILED"),
        Duration.ofSeconds(60));
  }

  private static void printEvents(KubernetesClient k8s) {
    k8s.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> PaymentNetwork.ALICE.equals(e.getInvolvedObject().getName()))
        .filter(
            e -> e.getReason().matches("Failover|LeaseRevoked|LeaderServing|ChannelBackupUpdated"))
        .sorted(
            Comparator.comparing(
                Event::getLastTimestamp, Comparator.nullsFirst(Comparator.naturalOrder())))
        .forEach(
            e ->
                System.out.printf(
                    "  event %-8s %-20s %s%n", e.getType(), e.getReason(), e.getMessage()));
  }

  /** What `kubectl get lnc` shows. */
  private static String table(KubernetesClient k8s) {
    StringBuilder b =
        new StringBuilder(
            String.format(
                "  %-7s %-9s %-6s %-9s %-7s %s%n",
                "NAME", "LEADER", "READY", "PHASE", "SYNCED", "CHANNELS"));
    for (String name : new String[] {PaymentNetwork.ALICE, PaymentNetwork.BOB}) {
      LightningCluster c =
          k8s.resources(LightningCluster.class).inNamespace(NS).withName(name).get();
      LightningClusterStatus s = c == null ? null : c.getStatus();
      b.append(
          String.format(
              "  %-7s %-9s %-6s %-9s %-7s %s%n",
              name,
              s == null || s.leader == null ? "" : s.leader.pod,
              s == null ? "" : s.ready,
              s == null ? "" : s.phase,
              s == null || s.node == null ? "" : s.node.syncedToChain,
              s == null || s.node == null ? "" : s.node.activeChannels));
    }
    return b.toString();
  }

  private static void say(String what) {
    System.out.println("==> " + what);
  }
}
