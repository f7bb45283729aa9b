package dev.operator.lightning.it;

import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.model.MemberPaths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads every member's {@code /v1/state} and tries its P2P port every 100 ms, independently of the
 * operator, and keeps when each member was seen active and when it accepted peers: the record
 * two-active-members windows are measured on. lnd keeps answering {@code SERVER_ACTIVE} through its
 * whole shutdown (with etcd unreachable, for tens of seconds), but it closes its P2P listener and
 * drops its peers first: a member that accepts no peer moves no channel.
 */
public final class MemberStates implements AutoCloseable {
  static final Duration PERIOD = Duration.ofMillis(100);
  private static final Set<String> ACTIVE = Set.of("RPC_ACTIVE", "SERVER_ACTIVE");

  /** One reading: when, which member, what it said (null: no answer), whether it took peers. */
  record Reading(Instant at, String member, String state, boolean peers) {
    boolean active() {
      return state != null && ACTIVE.contains(state);
    }
  }

  private final List<Reading> readings = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService pollers;
  private final Map<String, Boolean> busy = new ConcurrentHashMap<>();

  /**
   * @param hosts member name to the DNS name its certificate carries
   * @param ipOf member name to its pod IP now (a recreated pod has a new one), where its P2P port
   *     is tried
   */
  public MemberStates(
      LndRestClient lnd,
      Map<String, String> hosts,
      java.util.function.Function<String, String> ipOf) {
    pollers = Executors.newScheduledThreadPool(hosts.size());
    hosts.forEach(
        (member, host) ->
            pollers.scheduleAtFixedRate(
                () -> {
                  if (busy.putIfAbsent(member, true) != null) {
                    return;
                  }
                  try {
                    Instant at = Instant.now();
                    String state = lnd.state(host, MemberPaths.REST_PORT).orElse(null);
                    readings.add(new Reading(at, member, state, acceptsPeers(ipOf.apply(member))));
                  } finally {
                    busy.remove(member);
                  }
                },
                0,
                PERIOD.toMillis(),
                TimeUnit.MILLISECONDS));
  }

  private static boolean acceptsPeers(String ip) {
    if (ip == null) {
      return false;
    }
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(ip, MemberPaths.P2P_PORT), 200);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** The last reading in which {@code member} accepted a peer connection. */
  Optional<Instant> lastAcceptedPeers(String member) {
    return readings.stream()
        .filter(r -> r.member().equals(member) && r.peers())
        .map(Reading::at)
        .max(Instant::compareTo);
  }

  /** The first reading at or after {@code from} in which {@code member} was active. */
  public Optional<Instant> firstActive(String member, Instant from) {
    return readings.stream()
        .filter(r -> r.member().equals(member) && r.active() && !r.at().isBefore(from))
        .map(Reading::at)
        .min(Instant::compareTo);
  }

  /**
   * The first reading at or after {@code from} in which {@code member} answered and no longer stood
   * by: it had won the election and was opening its wallet.
   */
  public Optional<Instant> firstElected(String member, Instant from) {
    return readings.stream()
        .filter(
            r ->
                r.member().equals(member)
                    && r.state() != null
                    && !"WAITING_TO_START".equals(r.state())
                    && !r.at().isBefore(from))
        .map(Reading::at)
        .min(Instant::compareTo);
  }

  /** The last reading in which {@code member} was active. */
  Optional<Instant> lastActive(String member) {
    return readings.stream()
        .filter(r -> r.member().equals(member) && r.active())
        .map(Reading::at)
        .max(Instant::compareTo);
  }

  /** The last reading of a member, if any. */
  Optional<Reading> last(String member) {
    Reading found = null;
    for (Reading r : readings) {
      if (r.member().equals(member)) {
        found = r;
      }
    }
    return Optional.ofNullable(found);
  }

  /** Members other than {@code except} seen active at or after {@code from}. */
  List<String> activeSince(Instant from, String except) {
    List<String> out = new ArrayList<>();
    for (Reading r : readings) {
      if (r.active() && !r.at().isBefore(from) && !r.member().equals(except)) {
        if (!out.contains(r.member())) {
          out.add(r.member());
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    pollers.shutdownNow();
  }
}
