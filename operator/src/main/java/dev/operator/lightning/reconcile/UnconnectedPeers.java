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
 * Which of the leader's channel peers to dial: lnd dials its channel peers once, when it starts,
 * from what it reads of them in its database; if that read fails (an etcd error while the new
 * leader starts) it logs the error and never dials them, and a peer it failed to reach is retried
 * further and further apart (5 s more after each failure, up to 5 minutes). A peer that dialled in
 * before cannot dial the new leader unless this node announces an address. Either way the channel
 * stays inactive while nobody connects.
 *
 * <p>A channel counts as unconnected only while the operator sees it inactive with its peer not
 * connected, pass after pass, for {@link #GRACE}: a new leader that connects its peers as it starts
 * (about a second after its connection manager) never gets that far. The peer is dialled once per
 * leader and stall, with {@code perm}, so lnd keeps retrying it from then on by itself; a channel
 * still unconnected a grace later is reported once and left to lnd. Memory is per leader. Dialling
 * moves no funds and closes nothing.
 */
final class UnconnectedPeers {
  static final Duration GRACE = Duration.ofSeconds(15);

  /**
   * What the operator remembers of one cluster's leader: since when each channel has been seen
   * inactive with its peer away, the channels whose peer was dialled and not seen connected since,
   * and those the dial did not bring back.
   */
  record Memory(
      String leader,
      Map<String, Instant> unconnectedSince,
      Set<String> dialledFor,
      Set<String> unreached) {
    static Memory none() {
      return new Memory(null, Map.of(), Set.of(), Set.of());
    }

    boolean holdsAnything() {
      return !unconnectedSince.isEmpty() || !dialledFor.isEmpty() || !unreached.isEmpty();
    }

    /**
     * These channels given up on at once: no dial was made for them (no address is known, or the
     * peer had connected meanwhile), so there is no dial to wait for and report on.
     */
    Memory givingUp(java.util.Collection<String> points) {
      Set<String> dialled = new HashSet<>(dialledFor);
      dialled.removeAll(points);
      Set<String> given = new HashSet<>(unreached);
      given.addAll(points);
      return new Memory(leader, unconnectedSince, Set.copyOf(dialled), Set.copyOf(given));
    }
  }

  /**
   * @param dial peers (pubkeys, sorted) to dial now
   * @param unconnected the inactive channels of the peers dialled now
   * @param unreached channels found still unconnected a grace after their peer was dialled, newly
   *     given up on
   * @param look when to look again, or null when nothing is being watched
   */
  record Decision(
      Memory memory,
      List<String> dial,
      List<String> unconnected,
      List<String> unreached,
      Duration look) {}

  private UnconnectedPeers() {}

  static Decision decide(
      String leader,
      List<StalledLinks.Channel> channels,
      Set<String> connectedPeers,
      Memory previous,
      Instant now) {
    Memory prior = leader.equals(previous.leader()) ? previous : Memory.none();
    Map<String, Instant> since = new HashMap<>();
    Set<String> dialledFor = new HashSet<>(prior.dialledFor());
    Set<String> unreached = new HashSet<>(prior.unreached());
    Set<String> listed = new HashSet<>();
    for (StalledLinks.Channel c : channels) {
      listed.add(c.point());
      if (c.active()) {
        dialledFor.remove(c.point());
        unreached.remove(c.point());
      } else if (!connectedPeers.contains(c.peer())) {
        since.put(c.point(), prior.unconnectedSince().getOrDefault(c.point(), now));
      }
      // A peer that is back while its channel stays down is StalledLinks' to mend; its channel
      // is dialled for again only once it has been seen active, or a peer that connects and
      // drops again would be dialled every grace, beside lnd's own retries.
    }
    dialledFor.retainAll(listed);
    unreached.retainAll(listed);
    TreeSet<String> dial = new TreeSet<>();
    List<String> newlyUnreached = new ArrayList<>();
    for (StalledLinks.Channel c : channels) {
      Instant from = since.get(c.point());
      if (from == null || from.plus(GRACE).isAfter(now) || unreached.contains(c.point())) {
        continue;
      }
      if (dialledFor.remove(c.point())) {
        unreached.add(c.point());
        newlyUnreached.add(c.point());
      } else {
        dial.add(c.peer());
      }
    }
    List<String> due = new ArrayList<>();
    for (StalledLinks.Channel c : channels) {
      if (since.containsKey(c.point())
          && dial.contains(c.peer())
          && !unreached.contains(c.point())) {
        due.add(c.point());
      }
    }
    dialledFor.addAll(due);
    // A dial starts the count again: a peer lnd connects within the grace after it is not taken
    // for one the dial did not reach.
    due.forEach(since::remove);
    boolean watching =
        !due.isEmpty() || since.keySet().stream().anyMatch(p -> !unreached.contains(p));
    return new Decision(
        new Memory(leader, Map.copyOf(since), Set.copyOf(dialledFor), Set.copyOf(unreached)),
        List.copyOf(dial),
        List.copyOf(due),
        List.copyOf(newlyUnreached),
        watching ? StalledLinks.LOOK : null);
  }
}
