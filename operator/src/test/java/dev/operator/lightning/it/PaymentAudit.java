package dev.operator.lightning.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What became of every payment of a run, read from the nodes themselves once it is over: each
 * payment ends SUCCEEDED with its invoice settled, or without success and its invoice not settled;
 * the channel is still open with no HTLC left and its balances moved by exactly the succeeded
 * payments; nothing is closed or closing; both identities are unchanged. Violations are listed, not
 * thrown, so a campaign can print them with its table.
 */
public final class PaymentAudit {
  /** How long a payment may stay IN_FLIGHT after the run before it counts as stuck. */
  public static final Duration IN_FLIGHT_BOUND = Duration.ofSeconds(60);

  private static final long ANCHORS_SAT = 2 * 330;

  /** Each side's share of the channel: alice's balance with the commit fee she pays, bob's. */
  public record Balances(long alice, long bob) {}

  /** Outcomes counted by direction and final status, and what must never happen. */
  public record Result(Map<String, Integer> outcomes, List<String> violations) {}

  private final PaymentNetwork n;

  private java.util.function.Consumer<String> progress = m -> {};

  public PaymentAudit(PaymentNetwork n) {
    this.n = n;
  }

  /** Says how long each step of {@link #judge} took: a long campaign's audit reads a lot. */
  public PaymentAudit reportingTo(java.util.function.Consumer<String> progress) {
    this.progress = progress;
    return this;
  }

  private Instant step(Instant since, String done) {
    Instant now = Instant.now();
    progress.accept(done + " in " + Duration.between(since, now).toMillis() + " ms");
    return now;
  }

  public Balances balances() throws Exception {
    JsonNode a = n.channel(n.aliceName);
    return new Balances(
        a.path("local_balance").asLong() + a.path("commit_fee").asLong(),
        n.channel(PaymentNetwork.BOB).path("local_balance").asLong());
  }

  /**
   * lnd's loss after a kill is lnd's only if a payee was killed in the run; the loss after a failed
   * write in one run needs none.
   */
  private static void requirePayeeKill(
      SettledUnpaidHtlcs.Evidence lost, boolean payeesKilled, List<String> violations) {
    if (lost.afterKill() && !payeesKilled) {
      violations.add("settled and failed back unpaid with no payee killed: " + lost);
    }
  }

  /**
   * Judges every payment of the run and the channel after it; {@code payeesKilled} says whether a
   * payee's lnd was killed (only then may lnd itself have failed back a settled HTLC unpaid after a
   * kill, a loss of lnd 0.21.3 told from its logs and counted apart; the same loss after a failed
   * write in one run needs no kill).
   */
  public Result judge(List<PaymentDriver.Payment> payments, Balances before, boolean payeesKilled)
      throws Exception {
    List<String> violations = new ArrayList<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    Instant at = Instant.now();
    Path logs = Path.of("target", "audit-logs-" + n.net.ns).toAbsolutePath();
    n.net.cluster.nodes().keepContainerLogs(logs);
    Map<String, SettledUnpaidHtlcs.Evidence> lndLosses = new HashMap<>();
    for (SettledUnpaidHtlcs.Evidence e : SettledUnpaidHtlcs.findIn(logs)) {
      lndLosses.put(e.hashHex(), e);
    }
    at = step(at, "lnd's logs read, " + lndLosses.size() + " settled-but-unpaid HTLCs");
    Map<String, String> aliceInvoices = invoices(n.alice());
    Map<String, String> bobInvoices = invoices(n.bob());
    at =
        step(
            at,
            aliceInvoices.size()
                + " invoices of alice and "
                + bobInvoices.size()
                + " of bob listed");
    Instant trackUntil = Instant.now().plus(IN_FLIGHT_BOUND);
    long aliceMoved = 0;
    for (PaymentDriver.Payment p : payments) {
      boolean fromAlice = fromAlice(p);
      String status;
      try {
        status = p.unreached ? "UNREACHED" : p.outcome != null ? p.outcome : track(p, trackUntil);
      } catch (AssertionError stuck) {
        violations.add("payment stuck: " + stuck.getMessage());
        outcomes.merge(p.direction + " STUCK", 1, Integer::sum);
        continue;
      }
      String invoice = (fromAlice ? bobInvoices : aliceInvoices).get(p.hashHex);
      if (invoice == null) {
        invoice = invoiceState(fromAlice ? n.bob() : n.alice(), p.hashHex);
      }
      String how = p.streamBroke ? " (tracked)" : "";
      if (p.prunedUnknown && "NOT_INITIATED".equals(status)) {
        // Its record went with a pruning of the payer's history that it ended before: the payee's
        // invoice tells how it ended, and the channel's balances check the sum.
        status = "SETTLED".equals(invoice) ? "SUCCEEDED" : "FAILED";
        how = " (pruned before tracked)";
      }
      outcomes.merge(p.direction + " " + status + how, 1, Integer::sum);
      if ("SUCCEEDED".equals(status)) {
        if (!"SETTLED".equals(invoice)) {
          violations.add(
              "payment " + p.hashHex + " (" + p.direction + ") SUCCEEDED, invoice " + invoice);
        }
        SettledUnpaidHtlcs.Evidence lost = lndLosses.get(p.hashHex);
        if (lost != null) {
          requirePayeeKill(lost, payeesKilled, violations);
          outcomes.merge(p.direction + " SUCCEEDED but unpaid by lnd", 1, Integer::sum);
        } else {
          aliceMoved += fromAlice ? -PaymentDriver.AMOUNT_SAT : PaymentDriver.AMOUNT_SAT;
        }
      } else {
        if (!List.of("FAILED", "NOT_INITIATED", "UNREACHED", "IN_FLIGHT_UNCOMMITTED")
            .contains(status)) {
          violations.add("payment " + p.hashHex + " ended " + status + " (" + p.failure + ")");
        }
        SettledUnpaidHtlcs.Evidence lost = lndLosses.get(p.hashHex);
        if ("SETTLED".equals(invoice) && lost != null) {
          // lnd's loss seen from a payer whose attempt was failed back: nothing moved.
          requirePayeeKill(lost, payeesKilled, violations);
          outcomes.merge(p.direction + " " + status + " but settled by lnd", 1, Integer::sum);
        } else if ("SETTLED".equals(invoice)) {
          violations.add(
              "payment " + p.hashHex + " (" + p.direction + ") " + status + ", invoice SETTLED");
        }
      }
    }
    at = step(at, payments.size() + " payments judged");
    channel(before, aliceMoved, violations);
    step(at, "channel checked");
    return new Result(outcomes, violations);
  }

  /** The channel after the run: open, no HTLC left, balances as the payments moved them. */
  private void channel(Balances before, long aliceMoved, List<String> violations) throws Exception {
    for (String side : List.of(n.aliceName, PaymentNetwork.BOB)) {
      try {
        org.awaitility.Awaitility.await()
            .atMost(IN_FLIGHT_BOUND)
            .pollInterval(Duration.ofSeconds(1))
            .until(() -> n.channel(side).path("pending_htlcs").isEmpty());
      } catch (ConditionTimeoutException e) {
        violations.add(side + "'s HTLCs left on the channel: " + n.channel(side));
      }
    }
    Balances expected = new Balances(before.alice() + aliceMoved, before.bob() - aliceMoved);
    try {
      // lnd #9467: a balance can lag a SUCCEEDED payment; a lag catches up, a loss does not.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> balances().equals(expected));
    } catch (ConditionTimeoutException e) {
      violations.add(
          "channel balances "
              + balances()
              + ", expected "
              + expected
              + " from "
              + before
              + " and moved");
    }
    JsonNode a = n.channel(n.aliceName);
    long anchors =
        a.path("capacity").asLong()
            - a.path("local_balance").asLong()
            - a.path("remote_balance").asLong()
            - a.path("commit_fee").asLong();
    if (!a.path("active").asBoolean() || (anchors != 0 && anchors != ANCHORS_SAT)) {
      violations.add("alice's channel inactive or not adding up: " + a);
    }
    for (String side : List.of(n.aliceName, PaymentNetwork.BOB)) {
      JsonNode closed = n.node(side).get("/v1/channels/closed").path("channels");
      JsonNode pending = n.node(side).get("/v1/channels/pending");
      if (!closed.isEmpty()
          || !pending.path("pending_force_closing_channels").isEmpty()
          || !pending.path("waiting_close_channels").isEmpty()) {
        violations.add(side + " closed or closing a channel: " + closed + " " + pending);
      }
      String identity = n.info(side).path("identity_pubkey").asText();
      if (!identity.equals(side.equals(n.aliceName) ? n.alicePubkey : n.bobPubkey)) {
        violations.add(side + "'s identity changed to " + identity);
      }
    }
  }

  private boolean fromAlice(PaymentDriver.Payment p) {
    return p.direction.startsWith("alice");
  }

  /** Every invoice of the node by payment hash (hex): its state. */
  private static Map<String, String> invoices(NodeRest node) throws Exception {
    Map<String, String> out = new HashMap<>();
    JsonNode all =
        PaymentNetwork.retry(() -> node.get("/v1/invoices?num_max_invoices=1000000"))
            .path("invoices");
    for (JsonNode inv : all) {
      out.put(
          HexFormat.of().formatHex(Base64.getDecoder().decode(inv.path("r_hash").asText())),
          inv.path("state").asText());
    }
    return out;
  }

  public static String invoiceState(NodeRest payee, String hashHex) throws Exception {
    return PaymentNetwork.retry(() -> payee.get("/v1/invoice/" + hashHex)).path("state").asText();
  }

  /** One answer of the payer: its final status (or NOT_INITIATED), or null and what it said. */
  private record Reading(String finalStatus, String seen) {}

  private static Reading read(NodeRest payer, PaymentDriver.Payment p) {
    String hash = Base64.getUrlEncoder().encodeToString(HexFormat.of().parseHex(p.hashHex));
    try {
      JsonNode r =
          payer.stream("/v2/router/track/" + hash, null, u -> true, Duration.ofSeconds(10));
      return new Reading(PaymentDriver.isFinal(r) ? r.path("status").asText() : null, r.toString());
    } catch (NodeRest.RemoteError e) {
      return new Reading(
          e.getMessage().contains("initiated") ? "NOT_INITIATED" : null, e.getMessage());
    } catch (Exception e) {
      return new Reading(null, e.toString());
    }
  }

  /**
   * What the payer's current leader says of a payment now: SUCCEEDED, FAILED or NOT_INITIATED, or
   * empty while it is in flight or the payer does not answer.
   */
  public java.util.Optional<String> finalStatus(PaymentDriver.Payment p) {
    return java.util.Optional.ofNullable(read(fromAlice(p) ? n.alice() : n.bob(), p).finalStatus());
  }

  /**
   * The final status of a payment whose stream broke, from TrackPaymentV2 on the payer's current
   * leader; NOT_INITIATED when that node has no record of it (it never left the payer). Fails when
   * it is still in flight at {@code until} with an HTLC, or with its invoice no longer open.
   */
  public String track(PaymentDriver.Payment p, Instant until) {
    boolean fromAlice = fromAlice(p);
    NodeRest payer = fromAlice ? n.alice() : n.bob();
    NodeRest payee = fromAlice ? n.bob() : n.alice();
    String last = "no answer";
    do {
      Reading r = read(payer, p);
      if (r.finalStatus() != null) {
        return r.finalStatus();
      }
      last = r.seen();
      org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(500)).until(() -> true);
    } while (Instant.now().isBefore(until));
    // lnd (0.21.3) keeps a payment IN_FLIGHT for good when its payer died after recording the
    // attempt and opening its circuit but before the HTLC entered a commitment: the new leader
    // trims the circuit back to half-open and waits for a result that never comes. Nothing moved
    // then: no HTLC on either side of the channel and the invoice still open.
    String invoice;
    JsonNode payerHtlcs;
    JsonNode payeeHtlcs;
    try {
      invoice = payee.get("/v1/invoice/" + p.hashHex).path("state").asText();
      payerHtlcs = n.channel(fromAlice ? n.aliceName : PaymentNetwork.BOB).path("pending_htlcs");
      payeeHtlcs = n.channel(fromAlice ? PaymentNetwork.BOB : n.aliceName).path("pending_htlcs");
    } catch (Exception e) {
      throw new AssertionError("payment " + p.hashHex + " still in flight, and unreadable", e);
    }
    String seen =
        String.format(
            "payment %s (%s, started %s, stream broke at %s: %s) still in flight after the run;"
                + " last %s; invoice %s; HTLCs %s / %s",
            p.hashHex,
            p.direction,
            p.started,
            p.ended,
            p.failure,
            last,
            invoice,
            payerHtlcs,
            payeeHtlcs);
    if (!last.contains("\"status\":\"IN_FLIGHT\"")
        || !payerHtlcs.isEmpty()
        || !payeeHtlcs.isEmpty()
        || !"OPEN".equals(invoice)) {
      throw new AssertionError(seen);
    }
    return "IN_FLIGHT_UNCOMMITTED";
  }
}
