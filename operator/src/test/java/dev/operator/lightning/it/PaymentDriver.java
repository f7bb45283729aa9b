package dev.operator.lightning.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Pays invoices from one node to another, one after the other, until stopped: the payee issues an
 * invoice with its own hash, the payer sends it with SendPaymentV2 through its leader Service. Each
 * payment is recorded with the outcome the payer's stream gave, or as broken when the stream broke
 * (a failover), to be tracked later on the payer's new leader.
 */
public final class PaymentDriver implements AutoCloseable {
  public static final long AMOUNT_SAT = 1_000;
  static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

  /** One payment: its hash, what the payer's stream said, and when. */
  public static final class Payment {
    public final String direction;
    public final String hashHex;
    public final Instant started;
    public volatile String outcome; // SUCCEEDED, FAILED, or null while unknown
    public volatile String failure;
    public volatile boolean streamBroke;

    /** The payer could not be reached at all: no node saw the payment. */
    public volatile boolean unreached;

    public volatile Instant ended;

    /**
     * The payer's history was pruned while this payment's stream had broken and its end was not
     * known yet: its record may be gone, and then only the payee's invoice tells how it ended.
     */
    public volatile boolean prunedUnknown;

    Payment(String direction, String hashHex, Instant started) {
      this.direction = direction;
      this.hashHex = hashHex;
      this.started = started;
    }
  }

  private final String direction;
  private final Supplier<NodeRest> payer;
  private final Supplier<NodeRest> payee;
  private final ConcurrentLinkedQueue<Payment> payments = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Held by the payment under way, or by {@link #hold} while nothing may be paid. */
  private final java.util.concurrent.Semaphore turn = new java.util.concurrent.Semaphore(1);

  private final Thread thread;
  private final Duration gap;

  public PaymentDriver(String direction, Supplier<NodeRest> payer, Supplier<NodeRest> payee) {
    this(direction, payer, payee, Duration.ZERO);
  }

  /**
   * A driver that waits {@code gap} after each successful payment: a long campaign keeps a steady
   * trickle of payments without spending the machine's cores on them.
   */
  public PaymentDriver(
      String direction, Supplier<NodeRest> payer, Supplier<NodeRest> payee, Duration gap) {
    this.gap = gap;
    this.direction = direction;
    this.payer = payer;
    this.payee = payee;
    this.thread = new Thread(this::run, "payments-" + direction);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (running.get()) {
      try {
        turn.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      boolean succeeded;
      try {
        succeeded = payOnce();
      } finally {
        turn.release();
      }
      if (!succeeded) {
        failuresInARow++;
        pace(pauseAfterFailures(failuresInARow));
      } else {
        failuresInARow = 0;
        if (!gap.isZero()) {
          pace(gap);
        }
      }
    }
  }

  /** One invoice and its payment; whether it succeeded. */
  private boolean payOnce() {
    String request;
    String hash;
    try {
      ObjectNode inv = NodeRest.body();
      inv.put("value", Long.toString(AMOUNT_SAT));
      inv.put("memo", direction);
      JsonNode created = payee.get().post("/v1/invoices", inv);
      request = created.path("payment_request").asText();
      hash =
          java.util.HexFormat.of()
              .formatHex(java.util.Base64.getDecoder().decode(created.path("r_hash").asText()));
    } catch (IOException | RuntimeException e) {
      return false; // the payee is failing over: nothing was paid yet
    }
    Payment p = new Payment(direction, hash, Instant.now());
    payments.add(p);
    ObjectNode send = NodeRest.body();
    send.put("payment_request", request);
    send.put("timeout_seconds", 30);
    send.put("fee_limit_sat", "100");
    send.put("no_inflight_updates", true);
    inFlight.incrementAndGet();
    try {
      JsonNode result =
          payer.get().stream("/v2/router/send", send, PaymentDriver::isFinal, SEND_TIMEOUT);
      p.outcome = result.path("status").asText();
      p.failure = result.path("failure_reason").asText(null);
    } catch (NodeRest.RemoteError e) {
      // The payer answered with an error instead of a final status: tracked later.
      p.failure = e.getMessage();
      p.streamBroke = true;
    } catch (java.net.ConnectException e) {
      // The leader Service had no endpoint (a failover under way): nothing was sent.
      p.failure = e.getMessage();
      p.unreached = true;
    } catch (IOException | RuntimeException e) {
      p.failure = e.getMessage();
      p.streamBroke = true;
    } finally {
      p.ended = Instant.now();
      inFlight.decrementAndGet();
    }
    return "SUCCEEDED".equals(p.outcome);
  }

  /**
   * Waits for the payment under way to end and starts no other until {@link #release}: while held,
   * every payment of this driver has its final word from the payer's stream, or a broken stream.
   *
   * @throws IllegalStateException when the payment under way has not ended within its timeout
   */
  public void hold() throws InterruptedException {
    if (!turn.tryAcquire(SEND_TIMEOUT.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(direction + ": the payment under way did not end");
    }
  }

  public void release() {
    turn.release();
  }

  static boolean isFinal(JsonNode payment) {
    String s = payment.path("status").asText();
    return "SUCCEEDED".equals(s) || "FAILED".equals(s);
  }

  /** The first pause after a failure, doubled with each failure in a row up to the longest. */
  static final Duration FIRST_PAUSE = Duration.ofMillis(200);

  static final Duration LONGEST_PAUSE = Duration.ofSeconds(2);

  /**
   * Pacing after failures, so a node that is failing over is not hammered: each attempt against a
   * channel without a link creates an invoice on the payee and a payment on the payer, and lnd on
   * etcd reads every invoice it ever created as it starts (a new leader's start grew from 0.01 s to
   * over 5 s within 40 minutes of 200 ms pauses in one campaign). Backing off to {@link
   * #LONGEST_PAUSE} puts at most that much between a recovery and the first payment that sees it.
   */
  static Duration pauseAfterFailures(int inARow) {
    long ms = FIRST_PAUSE.toMillis() << Math.min(Math.max(inARow - 1, 0), 10);
    return Duration.ofMillis(Math.min(ms, LONGEST_PAUSE.toMillis()));
  }

  private int failuresInARow;

  private static void pace(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public int inFlight() {
    return inFlight.get();
  }

  /** Payments whose request reached the payer's leader. */
  public List<Payment> sent() {
    return payments.stream().filter(p -> !p.unreached).toList();
  }

  public long succeeded() {
    return payments.stream().filter(p -> "SUCCEEDED".equals(p.outcome)).count();
  }

  /** The first payment started at or after {@code since} that succeeded, if one did yet. */
  public java.util.Optional<Payment> firstSucceededSince(Instant since) {
    return payments.stream()
        .filter(p -> !p.started.isBefore(since) && "SUCCEEDED".equals(p.outcome))
        .findFirst();
  }

  public List<Payment> payments() {
    return List.copyOf(payments);
  }

  /** Stops after the payment under way; waits for it. */
  @Override
  public void close() {
    running.set(false);
    try {
      thread.join(SEND_TIMEOUT.plusSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
