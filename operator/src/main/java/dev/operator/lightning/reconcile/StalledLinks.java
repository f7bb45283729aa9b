package dev.operator.lightning.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * a second) never gets that far. A reconnect is tried once per stall: a channel still stalled past
 * the grace after its peer was reconnected, without having been active in between, is one the peer
 * or lnd refuses for another reason (a borked or data-loss channel), and reconnecting again would
 * only interrupt the peer's other channels; it is reported once and left alone until it is seen
 * active. Memory is per leader: a new leader starts its links afresh. Reconnecting moves no funds
 * and closes nothing: HTLCs in flight are kept in the commitments and resolved when the link is
 * reestablished.
 */
final class StalledLinks {
  static final Duration GRACE = Duration.ofSeconds(15);

  /** Each pass that watches a stall comes back this soon at the latest. */
  static final Duration LOOK = Duration.ofSeconds(2);

  /** A channel of the leader as ListChannels shows it. */
  record Channel(String point, String peer, boolean active) {}

  /**
   * What the operator remembers of one cluster's leader: since when each channel has been seen
   * stalled, the channels a reconnect was made for and not seen active since, and those a reconnect
   * did not bring up.
   */
  record Memory(
      String leader,
      Map<String, Instant> stalledSince,
      Set<String> reconnectedFor,
      Set<String> refused) {
    static Memory none() {
      return new Memory(null, Map.of(), Set.of(), Set.of());
    }

    /** Whether anything is remembered that a later pass needs. */
    boolean holdsAnything() {
      return !stalledSince.isEmpty() || !reconnectedFor.isEmpty() || !refused.isEmpty();
    }
  }

  /**
   * @param reconnect peers (pubkeys, sorted) to disconnect and connect again now
   * @param stalled the stalled channels of the peers reconnected now
   * @param refused channels found still stalled after their peer's reconnect, newly given up on
   * @param look when to look again, or null when no stall is being watched
   */
  record Decision(
      Memory memory,
      List<String> reconnect,
      List<String> stalled,
      List<String> refused,
      Duration look) {}

  private StalledLinks() {}

  static Decision decide(
      String leader,
      List<Channel> channels,
      Set<String> connectedPeers,
      Memory previous,
      Instant now) {
    Memory prior = leader.equals(previous.leader()) ? previous : Memory.none();
    Map<String, Instant> since = new HashMap<>();
    Set<String> reconnectedFor = new HashSet<>(prior.reconnectedFor());
    Set<String> refused = new HashSet<>(prior.refused());
    for (Channel c : channels) {
      if (c.active()) {
        reconnectedFor.remove(c.point());
        refused.remove(c.point());
      } else if (connectedPeers.contains(c.peer())) {
        since.put(c.point(), prior.stalledSince().getOrDefault(c.point(), now));
      }
    }
    TreeSet<String> reconnect = new TreeSet<>();
    List<String> newlyRefused = new ArrayList<>();
    List<String> due = new ArrayList<>();
    for (Channel c : channels) {
      Instant from = since.get(c.point());
      if (from == null || from.plus(GRACE).isAfter(now) || refused.contains(c.point())) {
        continue;
      }
      if (reconnectedFor.remove(c.point())) {
        refused.add(c.point());
        newlyRefused.add(c.point());
      } else {
        reconnect.add(c.peer());
      }
    }
    // A reconnect is for every stalled channel of that peer, past the grace or not.
    for (Channel c : channels) {
      if (since.containsKey(c.point())
          && reconnect.contains(c.peer())
          && !refused.contains(c.point())) {
        due.add(c.point());
      }
    }
    reconnectedFor.addAll(due);
    // A reconnect starts the count again: a link that comes up within the grace after it is not
    // taken for one the reconnect did not help.
    due.forEach(since::remove);
    boolean watching =
        !due.isEmpty() || since.keySet().stream().anyMatch(p -> !refused.contains(p));
    return new Decision(
        new Memory(leader, Map.copyOf(since), Set.copyOf(reconnectedFor), Set.copyOf(refused)),
        List.copyOf(reconnect),
        List.copyOf(due),
        List.copyOf(newlyRefused),
        watching ? LOOK : null);
  }
}
