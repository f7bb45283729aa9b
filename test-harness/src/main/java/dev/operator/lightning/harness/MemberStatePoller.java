package dev.operator.lightning.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Every member's lnd state ({@code GET /v1/state}) and whether its P2P port takes a connection,
 * read every 100 ms at its pod IP, as an outside observer would, with a client of its own that
 * shares nothing with the operator. A member the host cannot reach (its node is lost, or it is cut
 * off) is read from inside its own pod instead, so what an isolated member believes is still known.
 * The state is null when nothing answers.
 */
public final class MemberStatePoller implements AutoCloseable {
  public static final Duration PERIOD = Duration.ofMillis(100);
  private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"");
  private static final int REST_PORT = 8080;
  private static final int P2P_PORT = 9735;

  /**
   * One reading of one member; {@code inside}: taken inside its pod because the host could not
   * reach it (nothing outside could be served by it then).
   */
  public record Reading(Instant at, String member, String state, boolean peers, boolean inside) {
    public boolean active() {
      return "RPC_ACTIVE".equals(state) || "SERVER_ACTIVE".equals(state);
    }
  }

  private final LocalNodes nodes;
  private final List<Reading> readings = new ArrayList<>();
  private final ScheduledExecutorService pollers;
  private final Map<String, Boolean> busy = new ConcurrentHashMap<>();
  private final SSLContext trustAll;

  public MemberStatePoller(LocalNodes nodes, List<String> members) {
    this.nodes = nodes;
    this.trustAll = ProbeCheck.trustAll();
    this.pollers =
        Executors.newScheduledThreadPool(members.size(), HarnessThreads.daemon("member-states"));
    for (String member : members) {
      pollers.scheduleAtFixedRate(() -> poll(member), 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void poll(String member) {
    if (busy.putIfAbsent(member, true) != null) {
      return;
    }
    try {
      Instant at = Instant.now();
      String ip = nodes.podIp(member);
      String state = null;
      boolean peers = false;
      boolean insideRead = false;
      if (ip != null) {
        state = stateAt(ip);
        peers = state != null && accepts(ip, P2P_PORT);
        if (state == null) {
          String[] inside = fromInside(member);
          state = inside[0];
          peers = inside[1] != null;
          insideRead = state != null;
        }
      }
      Reading r = new Reading(at, member, state, peers, insideRead);
      synchronized (this) {
        readings.add(r);
      }
    } catch (RuntimeException e) {
      // One missed reading; the next comes in 100 ms.
    } finally {
      busy.remove(member);
    }
  }

  private String stateAt(String ip) {
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(ip, REST_PORT), 300);
      raw.setSoTimeout(500);
      try (SSLSocket tls =
          (SSLSocket) trustAll.getSocketFactory().createSocket(raw, ip, REST_PORT, false)) {
        tls.startHandshake();
        tls.getOutputStream()
            .write(
                ("GET /v1/state HTTP/1.1\r\nHost: " + ip + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        tls.getOutputStream().flush();
        Matcher m = STATE.matcher(readAll(tls.getInputStream()));
        return m.find() ? m.group(1) : null;
      }
    } catch (IOException e) {
      return null;
    }
  }

  /** State and peers read inside the pod over its loopback: {state, "peers" or null}. */
  private String[] fromInside(String member) {
    try {
      var r =
          nodes.exec(
              member,
              List.of(
                  "bash",
                  "-c",
                  "wget -q -T 1 -O - --no-check-certificate https://127.0.0.1:"
                      + REST_PORT
                      + "/v1/state; echo; if (exec 3<>/dev/tcp/127.0.0.1/"
                      + P2P_PORT
                      + ") 2>/dev/null; then echo PEERS; fi"),
              Duration.ofSeconds(2));
      Matcher m = STATE.matcher(r.output());
      return new String[] {
        m.find() ? m.group(1) : null, r.output().contains("PEERS") ? "peers" : null
      };
    } catch (RuntimeException e) {
      return new String[] {null, null};
    }
  }

  private static boolean accepts(String ip, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    int n;
    while (out.size() < 64 * 1024 && (n = in.read(buf)) >= 0) {
      out.write(buf, 0, n);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The first reading at or after {@code from} in which {@code member} was active. */
  public Optional<Instant> firstActive(String member, Instant from) {
    return readings().stream()
        .filter(r -> r.member().equals(member) && r.active() && !r.at().isBefore(from))
        .map(Reading::at)
        .min(Instant::compareTo);
  }

  /** The last reading in which {@code member} was active. */
  public Optional<Instant> lastActive(String member) {
    return readings().stream()
        .filter(r -> r.member().equals(member) && r.active())
        .map(Reading::at)
        .max(Instant::compareTo);
  }

  /** The last reading in which {@code member}'s P2P port took a connection. */
  public Optional<Instant> lastAcceptedPeers(String member) {
    return readings().stream()
        .filter(r -> r.member().equals(member) && r.peers())
        .map(Reading::at)
        .max(Instant::compareTo);
  }

  /** Members other than {@code except} seen active at or after {@code from}, first seen first. */
  public List<String> activeSince(Instant from, String except) {
    return readings().stream()
        .filter(r -> r.active() && !r.at().isBefore(from) && !r.member().equals(except))
        .sorted(java.util.Comparator.comparing(Reading::at))
        .map(Reading::member)
        .distinct()
        .toList();
  }

  /** The latest reading of a member, if any. */
  public Optional<Reading> last(String member) {
    return readings().stream()
        .filter(r -> r.member().equals(member))
        .max(java.util.Comparator.comparing(Reading::at));
  }

  /** Every reading so far, in the order they completed. */
  public synchronized List<Reading> readings() {
    return List.copyOf(readings);
  }

  @Override
  public void close() {
    pollers.shutdownNow();
  }
}
