package dev.operator.lightning.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which of the leader's channel peers to reconnect: lnd (0.21) fails a channel's link on an
 * internal error, such as a database commit cut short by an etcd leader change, without closing the
 * connection, and loads links only when a connection starts; so the channel stays inactive while
 * its peer stays connected, and no payment crosses it until someone reconnects the peer.
 *
 * <p>A channel counts as stalled only while the operator sees it inactive with its peer connected,
 * pass after pass, for {@link #GRACE}: a link that is coming up (a reconnect reestablishes in about
 * a second) never gets that far. A peer is reconnected at most once every {@link #RETRY}, so a
 * channel the peer itself refuses (a borked or data-loss channel) is not reconnected in a loop.
 * Memory is per leader: a new leader starts its links afresh, and its stalls count from zero.
 * Reconnecting moves no funds and closes nothing: HTLCs in flight are kept in the commitments and
 * resolved when the link is reestablished.
 */
final class StalledLinks {
  static final Duration GRACE = Duration.ofSeconds(15);
  static final Duration RETRY = Duration.ofMinutes(2);

  /** Each pass that watches a stall comes back this soon at the latest. */
  static final Duration LOOK = Duration.ofSeconds(2);

  /** A channel of the leader as ListChannels shows it. */
  record Channel(String point, String peer, boolean active) {}

  /**
   * What the operator remembers of one cluster's leader: since when each channel has been seen
   * stalled, and when each peer was last reconnected.
   */
  record Memory(
      String leader, Map<String, Instant> stalledSince, Map<String, Instant> reconnected) {
    static Memory none() {
      return new Memory(null, Map.of(), Map.of());
    }

    boolean watching() {
      return !stalledSince.isEmpty();
    }
  }

  /**
   * @param reconnect peers (pubkeys, sorted) to disconnect and connect again now
   * @param stalled the channels stalled past the grace whose peers are reconnected now
   * @param look when to look again, or null when nothing is being watched
   */
  record Decision(Memory memory, List<String> reconnect, List<String> stalled, Duration look) {}

  private StalledLinks() {}

  static Decision decide(
      String leader,
      List<Channel> channels,
      Set<String> connectedPeers,
      Memory previous,
      Instant now) {
    Memory prior = leader.equals(previous.leader()) ? previous : Memory.none();
    Map<String, Instant> since = new HashMap<>();
    for (Channel c : channels) {
      if (!c.active() && connectedPeers.contains(c.peer())) {
        since.put(c.point(), prior.stalledSince().getOrDefault(c.point(), now));
      }
    }
    Map<String, Instant> reconnected = new HashMap<>(prior.reconnected());
    reconnected.values().removeIf(at -> !at.plus(RETRY).isAfter(now));
    TreeSet<String> reconnect = new TreeSet<>();
    for (Channel c : channels) {
      Instant from = since.get(c.point());
      if (from != null && !from.plus(GRACE).isAfter(now) && !reconnected.containsKey(c.peer())) {
        reconnect.add(c.peer());
      }
    }
    List<String> stalled = new ArrayList<>();
    for (Channel c : channels) {
      if (since.containsKey(c.point()) && reconnect.contains(c.peer())) {
        stalled.add(c.point());
      }
    }
    for (String peer : reconnect) {
      reconnected.put(peer, now);
    }
    return new Decision(
        new Memory(leader, Map.copyOf(since), Map.copyOf(reconnected)),
        List.copyOf(reconnect),
        List.copyOf(stalled),
        since.isEmpty() ? null : LOOK);
  }
}
