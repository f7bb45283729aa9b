package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.FailoverRecord;
import dev.operator.lightning.election.Candidate;
import dev.operator.lightning.election.ElectionView;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who to route to, whose lease to revoke and whom to fence: pure functions of the election view,
 * the member pods and their reported LND states. The reconciler only carries out the answer.
 */
final class Leadership {
  static final String LEADER = "leader";
  static final String FOLLOWER = "follower";
  private static final Set<String> ACTIVE_STATES = Set.of("RPC_ACTIVE", "SERVER_ACTIVE");
  private static final String WAITING_TO_START = "WAITING_TO_START";

  private Leadership() {}

  /** The one endpoint of the leader Service, if any. */
  record Route(Pod pod, boolean ready) {}

  /** A lease to revoke: its holder's process is confirmed dead by Kubernetes. */
  record Revocation(long leaseId, String clusterId, String why) {}

  /**
   * @param routes empty when the view is not synced: keep what is routed now
   */
  record Decision(
      Optional<List<Route>> routes,
      Optional<Revocation> revocation,
      Map<String, String> roles,
      Optional<Problem> unattributed) {}

  /**
   * @param leaderPodUid uid of the pod that held the current leader key when the operator first saw
   *     it, or null if unknown (for example after an operator restart)
   */
  static Decision decide(
      ElectionView view, List<Pod> pods, String leaderPodUid, boolean seenTerminated) {
    return decide(view, pods, leaderPodUid, seenTerminated, null);
  }

  /**
   * @param seenTerminated whether this operator last saw the leader's pod (of {@code leaderPodUid})
   *     with its lnd container terminated or the pod finished
   * @param seenActive a member whose LND this operator has just read as active; as the leader it is
   *     routed ready without waiting for its readiness probe, which tests the same states
   */
  static Decision decide(
      ElectionView view,
      List<Pod> pods,
      String leaderPodUid,
      boolean seenTerminated,
      String seenActive) {
    if (!view.synced()) {
      return new Decision(Optional.empty(), Optional.empty(), Map.of(), Optional.empty());
    }
    Optional<Candidate> leader = view.leader();
    Map<String, Pod> byName = new LinkedHashMap<>();
    pods.forEach(p -> byName.put(p.getMetadata().getName(), p));
    Pod leaderPod = leader.map(l -> byName.get(l.clusterId())).orElse(null);

    Optional<Revocation> revocation =
        leader.flatMap(
            l ->
                deathOf(l, leaderPod, leaderPodUid, seenTerminated, view)
                    .map(why -> new Revocation(l.leaseId(), l.clusterId(), why)));

    List<Route> routes = new ArrayList<>();
    if (leaderPod != null && podIp(leaderPod) != null) {
      boolean active = isReady(leaderPod) || leaderPod.getMetadata().getName().equals(seenActive);
      // Not ready in the very pass that sees its process end: a readiness condition or a state
      // read from before that moment says nothing about the process now.
      boolean ended = terminated(leaderPod) || revocation.isPresent();
      routes.add(new Route(leaderPod, active && !terminating(leaderPod) && !ended));
    }

    Map<String, String> roles = new LinkedHashMap<>();
    for (Pod p : pods) {
      String name = p.getMetadata().getName();
      roles.put(
          name, leader.isPresent() && leader.get().clusterId().equals(name) ? LEADER : FOLLOWER);
    }
    Optional<Problem> unattributed =
        leader
            .filter(l -> leaderPod == null && leaderPodUid == null)
            .map(
                l ->
                    new Problem(
                        Problem.UNATTRIBUTED_LEADER,
                        "the election leader "
                            + l.clusterId()
                            + " (lease "
                            + Long.toHexString(l.leaseId())
                            + ") is no member pod this operator saw campaign for this cluster, so"
                            + " its lease is never revoked: another cluster may campaign under the"
                            + " same election prefix, or the leader's pod vanished unseen; only"
                            + " the session TTL ends it"));
    return new Decision(Optional.of(routes), revocation, roles, unattributed);
  }

  /**
   * Members that report an active LND state without holding leadership; none while the election is
   * not observed.
   */
  static List<String> fenceCandidates(
      ElectionView view, List<Pod> pods, Map<String, String> lndStates) {
    if (!view.synced()) {
      return List.of();
    }
    Optional<Candidate> leader = view.leader();
    List<String> fence = new ArrayList<>();
    for (Pod p : pods) {
      String name = p.getMetadata().getName();
      boolean isLeader = leader.isPresent() && leader.get().clusterId().equals(name);
      String state = lndStates.get(name);
      if (!isLeader && !terminating(p) && isActive(state)) {
        fence.add(name);
      }
    }
    return fence;
  }

  /**
   * The previous leader's pod when the election moved on without it while the very process that led
   * still runs: its session ran out (it was frozen, cut off from etcd, or on a node that went
   * silent), nothing confirmed it dead, and it would still believe it leads when it wakes or
   * reconnects. Deleting it then, with the fencing grace period, ends it before it can act again: a
   * frozen process is killed without waking, and a pod on a lost node is stopped by its kubelet the
   * moment the node returns. Empty when the key did not move, when nobody can tell (the election is
   * not observed, the pod is not the one that held the key), and when that process already ended:
   * the pod is terminating or gone, or its lnd container is not running or started after the
   * leadership began (a restarted process campaigns as a follower).
   *
   * @param previous the leader the status last recorded, with the uid of the pod that held the key
   */
  static Optional<String> deposedStillRunning(
      ElectionView view, dev.operator.lightning.api.LeaderStatus previous, List<Pod> pods) {
    if (!view.synced()
        || previous == null
        || previous.pod == null
        || previous.podUid == null
        || previous.since == null) {
      return Optional.empty();
    }
    if (view.leader().map(l -> l.clusterId().equals(previous.clusterId)).orElse(false)) {
      return Optional.empty();
    }
    Pod pod =
        pods.stream()
            .filter(p -> p.getMetadata().getName().equals(previous.pod))
            .filter(p -> previous.podUid.equals(p.getMetadata().getUid()))
            .findFirst()
            .orElse(null);
    if (pod == null || terminating(pod)) {
      return Optional.empty();
    }
    // A start time nobody can read proves nothing: the state-based fence remains.
    java.time.Instant started = lndStartedAt(pod);
    if (started == null) {
      return Optional.empty();
    }
    try {
      java.time.Instant since = java.time.Instant.parse(previous.since);
      return started.isAfter(since) ? Optional.empty() : Optional.of(previous.pod);
    } catch (java.time.format.DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /**
   * How long an lnd container may run before its campaign must show in the election: lnd starts its
   * RPC server, then opens its session and writes its key, within seconds; a process that cannot
   * reach etcd gives up after its 10 s dial timeout and exits.
   */
  static final java.time.Duration CAMPAIGN_GRACE = java.time.Duration.ofSeconds(30);

  /**
   * Followers out of the election: the lnd process waits to start (a follower) and was seen
   * campaigning ({@code campaigned}: it wrote a key since) or has run past {@link #CAMPAIGN_GRACE},
   * yet no key of the election carries its cluster.id. Its session ended while its connection to
   * etcd hung or broke (an etcd member on a lost node, a cut), and etcd's Go election never looks
   * at its own key again once it waits: the moment that connection returns and every lower key is
   * gone, {@code Campaign} returns and lnd starts as a leader beside the real one. Until then it is
   * no candidate either, so when every follower is in that state nobody can lead. Restarting the
   * process is harmless (a follower serves nothing) and makes it campaign afresh. None while the
   * election is not observed, for members whose state could not be read, and, unless seen
   * campaigning, for members whose container start time cannot be read.
   */
  static List<String> outOfElection(
      ElectionView view,
      List<Pod> pods,
      Map<String, String> lndStates,
      Set<String> campaigned,
      java.time.Instant now) {
    List<String> out = new ArrayList<>();
    for (Pod p : waitingWithoutKey(view, pods, lndStates)) {
      String name = p.getMetadata().getName();
      java.time.Instant started = lndStartedAt(p);
      if (campaigned.contains(name)
          || (started != null && !started.plus(CAMPAIGN_GRACE).isAfter(now))) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * Member pods, not being deleted, whose lnd answers {@code WAITING_TO_START} while no key of the
   * election carries their cluster.id; none while the election is not observed.
   */
  private static List<Pod> waitingWithoutKey(
      ElectionView view, List<Pod> pods, Map<String, String> lndStates) {
    if (!view.synced()) {
      return List.of();
    }
    Set<String> holding = new java.util.HashSet<>();
    view.candidates().forEach(c -> holding.add(c.clusterId()));
    return pods.stream()
        .filter(p -> !holding.contains(p.getMetadata().getName()))
        .filter(p -> !terminating(p))
        .filter(p -> WAITING_TO_START.equals(lndStates.get(p.getMetadata().getName())))
        .toList();
  }

  /**
   * What the operator knows of a member's running lnd process: which one it is, the election
   * revision when the operator first saw it run, and whether a key written since then (so by it: a
   * container's previous process ended before it started) showed it campaigning.
   */
  record Sighting(String process, long firstRevision, boolean campaigned) {}

  /**
   * The sighting of a member's process after this pass: a new one when the process changed (or none
   * runs: null), marked campaigning once a key of the member was created after the operator first
   * saw that process run.
   *
   * @param before the sighting of the previous pass, or null
   * @param process the running lnd process (see {@link #runningLndProcess}), or null
   * @param view the election now, synced
   * @param member the member's cluster.id
   */
  static Sighting sight(Sighting before, String process, ElectionView view, String member) {
    if (process == null) {
      return null;
    }
    Sighting now =
        before != null && before.process().equals(process)
            ? before
            : new Sighting(process, view.revision(), false);
    boolean wroteKey =
        view.candidates().stream()
            .anyMatch(
                c -> c.clusterId().equals(member) && c.createRevision() > now.firstRevision());
    return wroteKey && !now.campaigned()
        ? new Sighting(now.process(), now.firstRevision(), true)
        : now;
  }

  /**
   * The earliest moment a follower that waits without a key, not yet seen campaigning, reaches the
   * end of its {@link #CAMPAIGN_GRACE}, so that a pass looks at it then; empty when none waits.
   */
  static Optional<java.time.Instant> outOfElectionDue(
      ElectionView view,
      List<Pod> pods,
      Map<String, String> lndStates,
      Set<String> campaigned,
      java.time.Instant now) {
    return waitingWithoutKey(view, pods, lndStates).stream()
        .filter(p -> !campaigned.contains(p.getMetadata().getName()))
        .map(Leadership::lndStartedAt)
        .filter(java.util.Objects::nonNull)
        .map(started -> started.plus(CAMPAIGN_GRACE))
        .filter(due -> due.isAfter(now))
        .min(java.util.Comparator.naturalOrder());
  }

  /** When the running lnd container started, or null when none runs or the time is unreadable. */
  static java.time.Instant lndStartedAt(Pod pod) {
    ContainerStatus lnd = lndContainer(pod);
    if (lnd == null
        || lnd.getState() == null
        || lnd.getState().getRunning() == null
        || lnd.getState().getRunning().getStartedAt() == null) {
      return null;
    }
    try {
      return java.time.Instant.parse(lnd.getState().getRunning().getStartedAt());
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  /**
   * Why the leader's process is certainly not running, or empty while it may still run (for example
   * on a node that is merely unreachable: then only the session TTL may end it). A key is only ever
   * judged by a pod of this cluster it is attributed to: the pod of its name, or the pod remembered
   * for it ({@code leaderPodUid}); a key that matches none may belong to another cluster's live
   * leader on the same etcd, and is never declared dead.
   */
  static Optional<String> deathOf(
      Candidate leader, Pod pod, String leaderPodUid, boolean seenTerminated, ElectionView view) {
    // A pod object that is gone proves nothing by itself: a forced deletion removes it at once
    // while its process may still run on an unreachable node. Only a pod last seen with its lnd
    // container terminated is known dead once its object is gone.
    if (pod == null) {
      return leaderPodUid != null && seenTerminated
          ? Optional.of(
              "member pod " + leader.clusterId() + " that campaigned terminated and is gone")
          : Optional.empty();
    }
    if (leaderPodUid != null && !leaderPodUid.equals(pod.getMetadata().getUid())) {
      return seenTerminated
          ? Optional.of(
              "member pod "
                  + leader.clusterId()
                  + " that campaigned terminated and was replaced by a new pod")
          : Optional.empty();
    }
    if (terminated(pod)) {
      return Optional.of("the lnd container of " + leader.clusterId() + " terminated");
    }
    ContainerStatus lnd = lndContainer(pod);
    if (lnd == null) {
      return Optional.empty();
    }
    boolean restarted = lnd.getLastState() != null && lnd.getLastState().getTerminated() != null;
    // A newer key with the same cluster.id was written by the restarted process, so the
    // leader key belongs to the process that terminated.
    boolean newerIncarnation =
        view.candidates().stream()
            .anyMatch(
                c ->
                    c.clusterId().equals(leader.clusterId())
                        && c.createRevision() > leader.createRevision());
    if (restarted && newerIncarnation) {
      return Optional.of("the lnd container of " + leader.clusterId() + " restarted");
    }
    return Optional.empty();
  }

  /**
   * Why the previous leader lost the election, as the failover record names it.
   *
   * @param revokedHere whether this operator revoked the previous leader's lease
   * @param pod the previous leader's pod now, or null when it is gone
   * @param podUid the uid of the pod remembered for the previous leader's key, or null
   */
  static String failoverCause(boolean revokedHere, Pod pod, String podUid) {
    if (revokedHere) {
      return FailoverRecord.LEASE_REVOKED;
    }
    boolean replaced = pod != null && podUid != null && !podUid.equals(pod.getMetadata().getUid());
    if (pod == null || terminating(pod) || replaced) {
      return FailoverRecord.RESIGNED;
    }
    return FailoverRecord.LEASE_EXPIRED;
  }

  /**
   * Whether Kubernetes reports the pod's lnd process ended: pod finished, container terminated, or
   * container waiting to be restarted after it terminated (a crash loop's back-off: a second kill
   * within minutes leaves the container waiting 10 s and more, and no process of it runs then).
   */
  static boolean terminated(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
      return true;
    }
    ContainerStatus lnd = lndContainer(pod);
    if (lnd == null || lnd.getState() == null) {
      return false;
    }
    return lnd.getState().getTerminated() != null
        || (lnd.getState().getWaiting() != null
            && lnd.getLastState() != null
            && lnd.getLastState().getTerminated() != null);
  }

  /**
   * Which lnd process runs in the pod: its container id and restart count, or null when none runs.
   * A state read is about the process that answered; after a restart it says nothing.
   */
  static String runningLndProcess(Pod pod) {
    ContainerStatus lnd = lndContainer(pod);
    if (lnd == null || lnd.getState() == null || lnd.getState().getRunning() == null) {
      return null;
    }
    return lnd.getContainerID() + "#" + lnd.getRestartCount();
  }

  /** Whether an LND state (null when it could not be read) is one that serves clients. */
  static boolean isActive(String lndState) {
    return lndState != null && ACTIVE_STATES.contains(lndState);
  }

  static ContainerStatus lndContainer(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return null;
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(c -> "lnd".equals(c.getName()))
        .findFirst()
        .orElse(null);
  }

  static boolean terminating(Pod p) {
    return p.getMetadata().getDeletionTimestamp() != null;
  }

  static String podIp(Pod p) {
    return p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  static boolean isReady(Pod p) {
    return MemberStates.isReady(p);
  }
}
