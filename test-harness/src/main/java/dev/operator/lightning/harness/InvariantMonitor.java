package dev.operator.lightning.harness;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The safety invariants of one cluster, judged from what the monitor sees for itself and never from
 * what the operator reports: the election from etcd ({@link ElectionHistory}), every version of the
 * leader Service's EndpointSlice ({@link RoutingHistory}), every member's own state and P2P port
 * every 100 ms ({@link MemberStatePoller}). For any interval it tells the windows a fault opened
 * and the violations it saw.
 */
public final class InvariantMonitor implements AutoCloseable {
  /**
   * How far back a routed member may have led: the operator writes a slice after it reads a key.
   */
  public static final Duration ROUTING_LAG = Duration.ofSeconds(2);

  private static final Duration STEP = Duration.ofMillis(10);

  private final ElectionHistory election;
  private final RoutingHistory routing;
  private final MemberStatePoller states;
  private final RevocationHistory revocations;
  private final java.util.function.Supplier<List<ContainerRuns.Run>> runs;
  private final Duration sessionTtl;
  private final List<Outage> outages = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** [from, to): the API server was away; nothing could change the leader Service's slice. */
  public record Outage(Instant from, Instant to) {
    boolean covers(Instant t) {
      return !t.isBefore(from) && t.isBefore(to);
    }
  }

  /**
   * Milliseconds, over one interval: a member other than the election's leader routed as ready,
   * while the API server was there to change it; the leader active but not routed; two members
   * reporting an active state at once; two members active with their P2P ports open at once; the
   * API server away ({@link #apiServerAway}); the longest time from its return to the slice routing
   * the election's leader alone (to the interval's end if it never did; -1 when it did not return
   * within the interval). Violations: a slice routing more than one member, or a member that had
   * not led within {@link #ROUTING_LAG} of the version.
   */
  public record Windows(
      long staleRouteMs,
      long activeUnroutedMs,
      long bothActiveMs,
      long bothServingMs,
      List<String> violations,
      List<String> servingOverlaps,
      long apiServerAwayMs,
      long healedAfterApiMs) {}

  public InvariantMonitor(
      ElectionHistory election, RoutingHistory routing, MemberStatePoller states) {
    this(election, routing, states, null, null, null);
  }

  /**
   * A monitor that also holds the operator's lease revocations against the processes the kubelets
   * saw run (see {@link #revokedWhileRunning}).
   *
   * @param sessionTtl the members' session TTL: how long a key outlives the process that wrote it
   */
  public InvariantMonitor(
      ElectionHistory election,
      RoutingHistory routing,
      MemberStatePoller states,
      RevocationHistory revocations,
      java.util.function.Supplier<List<ContainerRuns.Run>> runs,
      Duration sessionTtl) {
    this.election = election;
    this.routing = routing;
    this.states = states;
    this.revocations = revocations;
    this.runs = runs;
    this.sessionTtl = sessionTtl;
  }

  public ElectionHistory election() {
    return election;
  }

  public RoutingHistory routing() {
    return routing;
  }

  public MemberStatePoller states() {
    return states;
  }

  /**
   * Declares that the API server was away over [from, to): a stale route then is nobody's doing and
   * is not counted; what counts is how long routing took to heal once it was back. The monitor's
   * own watches start again at once, so that it sees the slice change when it does.
   */
  public void apiServerAway(Instant from, Instant to) {
    outages.add(new Outage(from, to));
    routing.watchAgain();
    if (revocations != null) {
      revocations.watchAgain();
    }
  }

  /** The windows and violations of [from, to]. */
  public Windows windows(Instant from, Instant to) {
    Windows w =
        judge(
            election.terms(),
            routing.versions(),
            states.readings(),
            List.copyOf(outages),
            from,
            to);
    if (revocations == null) {
      return w;
    }
    List<String> violations = new ArrayList<>(w.violations());
    violations.addAll(
        revokedWhileRunning(
            election.terms(), revocations.revocations(), runs.get(), sessionTtl, from, to));
    return new Windows(
        w.staleRouteMs(),
        w.activeUnroutedMs(),
        w.bothActiveMs(),
        w.bothServingMs(),
        violations,
        w.servingOverlaps(),
        w.apiServerAwayMs(),
        w.healedAfterApiMs());
  }

  /**
   * Lease revocations of a process that still ran: for each revocation the operator claims, the
   * term of that member it ended (the last one the monitor saw begin before the claim) must have
   * been held by a process that had ended by the time the term did. Which process wrote the key is
   * not known, so any process of the member that started before the term and ended at most one
   * session TTL before it (its key can live no longer) may have: the claim stands if one of them
   * had ended. Nothing is judged while the monitor was blind to the election, or for a member it
   * never saw lead.
   */
  static List<String> revokedWhileRunning(
      List<ElectionHistory.Term> terms,
      List<RevocationHistory.Revocation> revocations,
      List<ContainerRuns.Run> runs,
      Duration sessionTtl,
      Instant from,
      Instant to) {
    List<String> out = new ArrayList<>();
    for (RevocationHistory.Revocation r : revocations) {
      if (r.seen().isBefore(from) || r.seen().isAfter(to)) {
        continue;
      }
      int k = -1;
      for (int i = 0; i < terms.size(); i++) {
        if (r.member().equals(terms.get(i).leader()) && !terms.get(i).since().isAfter(r.seen())) {
          k = i;
        }
      }
      if (k < 0
          || k + 1 >= terms.size()
          || ElectionHistory.UNKNOWN.equals(terms.get(k + 1).leader())) {
        continue;
      }
      Instant since = terms.get(k).since();
      Instant end = terms.get(k + 1).since();
      List<ContainerRuns.Run> writers =
          runs.stream()
              .filter(run -> run.pod().equals(r.member()))
              .filter(run -> !run.started().isAfter(since))
              .filter(run -> run.ended() == null || !run.ended().isBefore(since.minus(sessionTtl)))
              .toList();
      boolean oneEnded =
          writers.stream().anyMatch(run -> run.ended() != null && !run.ended().isAfter(end));
      if (!writers.isEmpty() && !oneEnded) {
        out.add(
            end
                + ": "
                + r.member()
                + "'s lease was revoked while the process that led since "
                + since
                + " still ran");
      }
    }
    return out;
  }

  /** The windows and violations of [from, to] in these histories, the API server always there. */
  static Windows judge(
      List<ElectionHistory.Term> terms,
      List<RoutingHistory.Version> versions,
      List<MemberStatePoller.Reading> polled,
      Instant from,
      Instant to) {
    return judge(terms, versions, polled, List.of(), from, to);
  }

  /** The windows and violations of [from, to] in these histories (pure, for the table tests). */
  static Windows judge(
      List<ElectionHistory.Term> terms,
      List<RoutingHistory.Version> versions,
      List<MemberStatePoller.Reading> polled,
      List<Outage> outages,
      Instant from,
      Instant to) {
    List<MemberStatePoller.Reading> readings = new ArrayList<>(polled);
    readings.sort(Comparator.comparing(MemberStatePoller.Reading::at));
    List<String> violations = new ArrayList<>();
    for (RoutingHistory.Version v : versions) {
      if (v.seen().isBefore(from) || v.seen().isAfter(to)) {
        continue;
      }
      if (v.ready().size() > 1) {
        violations.add(v.seen() + ": slice " + v.resourceVersion() + " routes " + v.ready());
      }
      if (v.electionRevision() == -2) {
        violations.add(
            v.seen() + ": slice " + v.resourceVersion() + " has an election revision not a number");
      }
      if (v.ready().size() == 1 && v.electionRevision() >= 0) {
        ElectionHistory.leaderAt(terms, v.electionRevision())
            .filter(led -> !led.equals(v.ready().get(0)))
            .ifPresent(
                led ->
                    violations.add(
                        v.seen()
                            + ": slice "
                            + v.resourceVersion()
                            + " routes "
                            + v.ready().get(0)
                            + " as the leader of election revision "
                            + v.electionRevision()
                            + ", at which "
                            + (led.isEmpty() ? "nobody" : led)
                            + " led"));
      }
      for (String member : v.ready()) {
        if (!ledDuring(terms, member, v.seen().minus(ROUTING_LAG), v.seen())) {
          violations.add(
              v.seen()
                  + ": slice "
                  + v.resourceVersion()
                  + " routes "
                  + member
                  + ", which had not led since "
                  + v.seen().minus(ROUTING_LAG));
        }
      }
    }
    long stale = 0;
    long away = 0;
    long unrouted = 0;
    long bothActive = 0;
    long bothServing = 0;
    int ti = 0;
    int vi = 0;
    int ri = 0;
    Map<String, MemberStatePoller.Reading> latest = new HashMap<>();
    List<String> overlaps = new ArrayList<>();
    Instant overlapStart = null;
    List<String> overlapMembers = List.of();
    for (Instant t = from; t.isBefore(to); t = t.plus(STEP)) {
      while (ti + 1 < terms.size() && !terms.get(ti + 1).since().isAfter(t)) {
        ti++;
      }
      while (vi + 1 < versions.size() && !versions.get(vi + 1).seen().isAfter(t)) {
        vi++;
      }
      while (ri < readings.size() && !readings.get(ri).at().isAfter(t)) {
        latest.put(readings.get(ri).member(), readings.get(ri));
        ri++;
      }
      String leader =
          terms.isEmpty() || terms.get(ti).since().isAfter(t) ? null : terms.get(ti).leader();
      List<String> routed =
          versions.isEmpty() || versions.get(vi).seen().isAfter(t)
              ? List.of()
              : versions.get(vi).ready();
      Instant now = t;
      boolean apiAway = outages.stream().anyMatch(o -> o.covers(now));
      if (apiAway) {
        away += STEP.toMillis();
      }
      if (!ElectionHistory.UNKNOWN.equals(leader)) {
        if (!apiAway && routed.stream().anyMatch(m -> !Objects.equals(m, leader))) {
          stale += STEP.toMillis();
        }
        MemberStatePoller.Reading l = leader == null ? null : latest.get(leader);
        // A leader only its own pod can reach (its node lost, cut off) could not be served anyway.
        if (l != null && l.active() && !l.inside() && !routed.contains(leader)) {
          unrouted += STEP.toMillis();
        }
      }
      long active = latest.values().stream().filter(MemberStatePoller.Reading::active).count();
      long serving = latest.values().stream().filter(r -> r.active() && r.peers()).count();
      if (active > 1) {
        bothActive += STEP.toMillis();
      }
      if (serving > 1) {
        bothServing += STEP.toMillis();
        if (overlapStart == null) {
          overlapStart = t;
          overlapMembers =
              latest.values().stream()
                  .filter(r -> r.active() && r.peers())
                  .map(MemberStatePoller.Reading::member)
                  .sorted()
                  .toList();
        }
      } else if (overlapStart != null) {
        overlaps.add(overlap(from, overlapStart, t, overlapMembers));
        overlapStart = null;
      }
    }
    if (overlapStart != null) {
      overlaps.add(overlap(from, overlapStart, to, overlapMembers));
    }
    // Two members active with their P2P ports open: both can take a channel update from a peer.
    overlaps.forEach(o -> violations.add("two members served peers at once: " + o));
    return new Windows(
        stale,
        unrouted,
        bothActive,
        bothServing,
        violations,
        overlaps,
        away,
        healedAfterApi(terms, versions, outages, from, to));
  }

  /**
   * The longest time, over the API server's returns within [from, to), from its return to the first
   * instant the slice routes the election's leader alone (the interval's end if it never does); -1
   * without a return. While the monitor cannot see the election, routing is not healed.
   */
  static long healedAfterApi(
      List<ElectionHistory.Term> terms,
      List<RoutingHistory.Version> versions,
      List<Outage> outages,
      Instant from,
      Instant to) {
    long longest = -1;
    for (Outage o : outages) {
      if (o.to().isBefore(from) || !o.to().isBefore(to)) {
        continue;
      }
      // Leader and routing change only at a term's or a version's instant: check just those.
      Instant t = o.to();
      int ti = -1;
      int vi = -1;
      while (true) {
        while (ti + 1 < terms.size() && !terms.get(ti + 1).since().isAfter(t)) {
          ti++;
        }
        while (vi + 1 < versions.size() && !versions.get(vi + 1).seen().isAfter(t)) {
          vi++;
        }
        String leader = ti < 0 ? null : terms.get(ti).leader();
        List<String> routed = vi < 0 ? List.of() : versions.get(vi).ready();
        if (leader != null
            && !ElectionHistory.UNKNOWN.equals(leader)
            && routed.equals(List.of(leader))) {
          break;
        }
        Instant next = to;
        if (ti + 1 < terms.size() && terms.get(ti + 1).since().isBefore(next)) {
          next = terms.get(ti + 1).since();
        }
        if (vi + 1 < versions.size() && versions.get(vi + 1).seen().isBefore(next)) {
          next = versions.get(vi + 1).seen();
        }
        t = next;
        if (!t.isBefore(to)) {
          break;
        }
      }
      longest = Math.max(longest, Duration.between(o.to(), t.isBefore(to) ? t : to).toMillis());
    }
    return longest;
  }

  private static String overlap(Instant from, Instant start, Instant end, List<String> members) {
    return members
        + " from +"
        + Duration.between(from, start).toMillis()
        + " ms for "
        + Duration.between(start, end).toMillis()
        + " ms";
  }

  /** Whether {@code member} led at some instant of [from, to]. */
  static boolean ledDuring(
      List<ElectionHistory.Term> terms, String member, Instant from, Instant to) {
    for (int i = 0; i < terms.size(); i++) {
      Instant start = terms.get(i).since();
      Instant end = i + 1 < terms.size() ? terms.get(i + 1).since() : Instant.MAX;
      boolean overlaps = !start.isAfter(to) && end.isAfter(from);
      if (member.equals(terms.get(i).leader()) && overlaps) {
        return true;
      }
      if (ElectionHistory.UNKNOWN.equals(terms.get(i).leader()) && overlaps) {
        // Blind then: the monitor cannot say it did not.
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    if (revocations != null) {
      revocations.close();
    }
    states.close();
    routing.close();
    election.close();
  }
}
