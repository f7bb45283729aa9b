package dev.operator.lightning.chaos;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.it.PaymentAudit;
import dev.operator.lightning.it.PaymentDriver;
import dev.operator.lightning.it.PaymentNetwork;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Payments both ways between the campaign's cluster (alice in the payment network) and one bob
 * member for the whole campaign: each fault is timed to the first payment started after it that
 * succeeds, and the run ends with an audit of every payment and of the channel.
 */
final class CampaignPayments implements AutoCloseable {
  /**
   * A steady trickle: the campaign's timings are the operator's, not a saturated machine's. Every
   * payment leaves an invoice on its payee that lnd on etcd reads one by one at each start and
   * never deletes; at 250 ms a 100-fault run grew alice's start by 5 s and the pace per fault from
   * 18 to 42 s, so the run measured its own history more than the failovers.
   */
  private static final Duration GAP = Duration.ofSeconds(1);

  static final Duration FIRST_PAYMENT_LIMIT = Duration.ofSeconds(120);

  /** Between a failover's usual first payment (under 60 s) and the bound. */
  static final Duration OVERDUE = Duration.ofSeconds(75);

  private final PaymentNetwork network;
  private final PaymentAudit audit;
  private final PaymentAudit.Balances before;
  private final PaymentDriver aliceToBob;
  private final PaymentDriver bobToAlice;

  CampaignPayments(PaymentNetwork network) throws Exception {
    this.network = network;
    this.audit =
        new PaymentAudit(network).reportingTo(m -> System.out.println("chaos: audit: " + m));
    this.before = audit.balances();
    this.aliceToBob = new PaymentDriver("alice->bob", network::alice, network::bob, GAP);
    this.bobToAlice = new PaymentDriver("bob->alice", network::bob, network::alice, GAP);
  }

  /**
   * fault -> the first payment started after it to succeed, either way, in ms; -1 when none did
   * within {@link #FIRST_PAYMENT_LIMIT}. {@code overdue} runs once if none has by {@link #OVERDUE}
   * after the fault, while there is still time to see what holds them.
   */
  long firstSuccessMs(Instant struck, Runnable overdue) {
    Instant end = Instant.now().plus(FIRST_PAYMENT_LIMIT);
    Instant late = struck.plus(OVERDUE);
    Optional<PaymentDriver.Payment> first = firstSuccess(struck, late.isBefore(end) ? late : end);
    if (first.isEmpty() && Instant.now().isBefore(end)) {
      overdue.run();
      first = firstSuccess(struck, end);
    }
    return first.map(p -> Duration.between(struck, p.ended).toMillis()).orElse(-1L);
  }

  private Optional<PaymentDriver.Payment> firstSuccess(Instant struck, Instant until) {
    Duration left = Duration.between(Instant.now(), until);
    if (left.compareTo(Duration.ofMillis(200)) < 0) {
      return firstSuccessSoFar(struck);
    }
    try {
      PaymentDriver.Payment[] first = new PaymentDriver.Payment[1];
      await()
          .atMost(left)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                first[0] = firstSuccessSoFar(struck).orElse(null);
                return first[0] != null;
              });
      return Optional.of(first[0]);
    } catch (ConditionTimeoutException e) {
      return Optional.empty();
    }
  }

  private Optional<PaymentDriver.Payment> firstSuccessSoFar(Instant struck) {
    Optional<PaymentDriver.Payment> a = aliceToBob.firstSucceededSince(struck);
    Optional<PaymentDriver.Payment> b = bobToAlice.firstSucceededSince(struck);
    return a.isPresent() && (b.isEmpty() || !b.get().ended.isBefore(a.get().ended)) ? a : b;
  }

  /** What the payments started since {@code since} ended with, counted by direction and reason. */
  Map<String, Integer> outcomesSince(Instant since) {
    Map<String, Integer> out = new TreeMap<>();
    for (PaymentDriver driver : List.of(aliceToBob, bobToAlice)) {
      for (PaymentDriver.Payment p : driver.payments()) {
        if (!p.started.isBefore(since)) {
          String reason =
              p.unreached
                  ? "unreached"
                  : p.outcome != null ? p.outcome + " " + p.failure : "stream broke: " + p.failure;
          out.merge(p.direction + " " + reason, 1, Integer::sum);
        }
      }
    }
    return out;
  }

  /** Stops paying and judges every payment; {@code payeesKilled} as {@link PaymentAudit#judge}. */
  PaymentAudit.Result audit(boolean payeesKilled) throws Exception {
    Instant stopping = Instant.now();
    close();
    System.out.printf(
        "chaos: audit: payments stopped in %d ms%n",
        Duration.between(stopping, Instant.now()).toMillis());
    List<PaymentDriver.Payment> all = new ArrayList<>(aliceToBob.payments());
    all.addAll(bobToAlice.payments());
    return audit.judge(all, before, payeesKilled);
  }

  /**
   * Deletes every ended payment from both payers' histories, as failover.md advises operators to: a
   * new leader goes through the whole history before it reconnects its channel peers (lnd #9729),
   * so an unpruned campaign measures its own history rather than the failover. The drivers hold
   * meanwhile, and each payment whose stream broke is first asked for its end, so the audit still
   * judges it from the payer's own word; the few still in flight are marked.
   *
   * @return payments deleted on alice and on bob, as lnd reported them
   */
  String pruneHistory() throws Exception {
    aliceToBob.hold();
    try {
      bobToAlice.hold();
      try {
        for (PaymentDriver driver : List.of(aliceToBob, bobToAlice)) {
          for (PaymentDriver.Payment p : driver.payments()) {
            if (p.streamBroke && p.outcome == null && !p.prunedUnknown) {
              Optional<String> end = audit.finalStatus(p);
              if (end.isPresent()) {
                p.outcome = end.get();
              } else {
                p.prunedUnknown = true;
              }
            }
          }
        }
        String deleted =
            "alice " + deleteEnded(network.alice()) + ", bob " + deleteEnded(network.bob());
        // Mission control's history (up to 1,000 results) is read at every start as well.
        forgetMissionControl(network.alice());
        forgetMissionControl(network.bob());
        return deleted;
      } finally {
        bobToAlice.release();
      }
    } finally {
      aliceToBob.release();
    }
  }

  private static void forgetMissionControl(dev.operator.lightning.it.NodeRest payer)
      throws Exception {
    PaymentNetwork.retry(
        () -> payer.post("/v2/router/mc/reset", dev.operator.lightning.it.NodeRest.body()));
  }

  /** lnd keeps in-flight payments whatever is asked. */
  private static String deleteEnded(dev.operator.lightning.it.NodeRest payer) throws Exception {
    return PaymentNetwork.retry(() -> payer.delete("/v1/payments?all_payments=true"))
        .path("status")
        .asText();
  }

  PaymentNetwork network() {
    return network;
  }

  @Override
  public void close() {
    aliceToBob.close();
    bobToAlice.close();
  }
}
