package dev.operator.lightning.it;

import dev.operator.lightning.harness.LocalNodes;
import dev.operator.lightning.model.MemberPaths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One member's lnd state read from inside its own pod every 200 ms, over the pod's loopback: what
 * an isolated member believes while nothing outside its node can ask it. A reading is null when the
 * container is not running or lnd does not answer.
 */
final class InPodState implements AutoCloseable {
  private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"");

  record Reading(Instant at, String state, boolean peers) {
    boolean active() {
      return "RPC_ACTIVE".equals(state) || "SERVER_ACTIVE".equals(state);
    }
  }

  private final List<Reading> readings = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();

  InPodState(LocalNodes nodes, String pod) {
    List<String> read =
        List.of(
            "bash",
            "-c",
            "wget -q -T 1 -O - --ca-certificate="
                + MemberPaths.LND_TLS_DIR
                + "/tls.crt https://127.0.0.1:"
                + MemberPaths.REST_PORT
                + "/v1/state; echo; if (exec 3<>/dev/tcp/127.0.0.1/"
                + MemberPaths.P2P_PORT
                + ") 2>/dev/null; then echo PEERS; fi");
    poller.scheduleWithFixedDelay(
        () -> {
          Instant at = Instant.now();
          String state = null;
          boolean peers = false;
          try {
            var r = nodes.exec(pod, read, Duration.ofSeconds(3));
            Matcher m = STATE.matcher(r.output());
            state = m.find() ? m.group(1) : null;
            peers = r.output().contains("PEERS");
          } catch (RuntimeException e) {
            // Not running (restarting or gone): nothing to read.
          }
          readings.add(new Reading(at, state, peers));
        },
        0,
        200,
        TimeUnit.MILLISECONDS);
  }

  /** The last reading in which the member was active. */
  Optional<Instant> lastActive() {
    return readings.stream().filter(Reading::active).map(Reading::at).max(Instant::compareTo);
  }

  /** The last reading in which the member's P2P port took a connection. */
  Optional<Instant> lastAcceptedPeers() {
    return readings.stream().filter(Reading::peers).map(Reading::at).max(Instant::compareTo);
  }

  /** Readings at or after {@code from}. */
  List<Reading> since(Instant from) {
    return readings.stream().filter(r -> !r.at().isBefore(from)).toList();
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
