package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.FailoverRecord;
import dev.operator.lightning.api.FailoverStatus;
import dev.operator.lightning.api.LeaderStatus;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.election.Candidate;
import dev.operator.lightning.election.ElectionObserver;
import dev.operator.lightning.election.ElectionView;
import dev.operator.lightning.election.EtcdTarget;
import dev.operator.lightning.metrics.OperatorMetrics;
import dev.operator.lightning.model.DesiredHash;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.LeaderEndpointSliceBuilder;
import dev.operator.lightning.model.Owned;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the leadership decision for one cluster: follows its election, routes the leader
 * Service to the leader alone, revokes the lease of a leader Kubernetes confirmed dead, fences
 * members that claim to be active without leadership, labels roles, and works out the leader and
 * failover status.
 */
final class ElectionStep {
  private static final Logger log = LoggerFactory.getLogger(ElectionStep.class);

  private final KubernetesClient client;
  private final ClusterReads reads;
  private final ElectionObserver observer;
  private final ObjectApplier applier;
  private final ClusterEvents events;
  private final OperatorMetrics metrics;
  private final Clock clock;

  /** Leases this operator revoked, per cluster, so the next failover names its cause. */
  private final Map<String, Map<Long, String>> revoked = new ConcurrentHashMap<>();

  /** Clusters whose pass has waited once for its election's first listing. */
  private final java.util.Set<String> listingAwaited = ConcurrentHashMap.newKeySet();

  /** The last leader seen per cluster, to name "from" when a leaderless gap came between. */
  private final Map<String, String> lastLeader = new ConcurrentHashMap<>();

  /**
   * Per cluster: the leader key whose LND this operator last read as active, the lnd container that
   * answered, and when. It lets every pass route that leader ready until its readiness probe
   * catches up, no longer than {@link #SEEN_ACTIVE_FOR} after the last such read, and only while
   * the same container runs: a restarted process starts as a follower.
   */
  private final Map<String, SeenActive> seenActive = new ConcurrentHashMap<>();

  private record SeenActive(String leaderKey, String container, java.time.Instant at) {}

  static final Duration SEEN_ACTIVE_FOR = Duration.ofSeconds(5);

  /** Per cluster: the leader key and the uid of the pod that was running when it was seen. */
  private final Map<String, Map.Entry<String, String>> leaderPods = new ConcurrentHashMap<>();

  /**
   * Per cluster: the leader key whose pod this operator last saw with its lnd container terminated.
   * Once that pod object is gone, this is what proves its process ended.
   */
  private final Map<String, String> seenTerminated = new ConcurrentHashMap<>();

  /** Per cluster: each member's running lnd process as this operator saw it (see Sighting). */
  private final Map<String, Map<String, Leadership.Sighting>> sightings = new ConcurrentHashMap<>();

  /**
   * The members whose running lnd process this operator saw write a key in the election, after
   * noting this pass's processes and keys; the processes of the previous pass are kept while the
   * election is not observed.
   */
  java.util.Set<String> campaigned(LightningCluster cluster, ElectionView view, List<Pod> pods) {
    Map<String, Leadership.Sighting> mine =
        sightings.computeIfAbsent(key(cluster), k -> new ConcurrentHashMap<>());
    if (view != null && view.synced()) {
      java.util.Set<String> present = new java.util.HashSet<>();
      for (Pod p : pods) {
        String member = p.getMetadata().getName();
        present.add(member);
        Leadership.Sighting now =
            Leadership.sight(mine.get(member), Leadership.runningLndProcess(p), view, member);
        if (now == null) {
          mine.remove(member);
        } else {
          mine.put(member, now);
        }
      }
      mine.keySet().retainAll(present);
    }
    java.util.Set<String> out = new java.util.HashSet<>();
    mine.forEach(
        (member, s) -> {
          if (s.campaigned()) {
            out.add(member);
          }
        });
    return out;
  }

  /**
   * Whether the pod the leader key is attributed to was seen terminated, updated from the pods of
   * this pass while that pod is still there.
   */
  private boolean leaderSeenTerminated(String key, ElectionView view, List<Pod> pods, String uid) {
    Optional<Candidate> leader = view.leader();
    if (leader.isEmpty() || uid == null) {
      return false;
    }
    pods.stream()
        .filter(p -> uid.equals(p.getMetadata().getUid()))
        .findFirst()
        .ifPresent(
            p -> {
              if (Leadership.terminated(p)) {
                seenTerminated.put(key, leader.get().key());
              } else {
                seenTerminated.remove(key, leader.get().key());
              }
            });
    return leader.get().key().equals(seenTerminated.get(key));
  }

  /** The decision for this pass, with what this operator remembers of the leader key. */
  private Leadership.Decision decide(
      String key,
      ElectionView view,
      List<Pod> pods,
      LightningClusterStatus previous,
      String seenActive) {
    String uid = leaderPodUid(key, view, pods, previous);
    return Leadership.decide(
        view, pods, uid, leaderSeenTerminated(key, view, pods, uid), seenActive);
  }

  /**
   * The uid of the pod the current leader key belongs to, remembered from the first time the key
   * and a running pod of that name were seen together; a later pod of the same name is a new pod,
   * so the key's process is gone.
   */
  private String leaderPodUid(
      String key, ElectionView view, List<Pod> pods, LightningClusterStatus previous) {
    Optional<Candidate> leader = view.leader();
    if (leader.isEmpty()) {
      return null;
    }
    Map.Entry<String, String> known = leaderPods.get(key);
    if (known != null && known.getKey().equals(leader.get().key())) {
      return known.getValue();
    }
    // After an operator restart the pair is read back from the status this operator wrote.
    LeaderStatus written = previous != null ? previous.leader : null;
    if (written != null
        && written.podUid != null
        && Long.toHexString(leader.get().leaseId()).equals(written.leaseId)
        && leader.get().clusterId().equals(written.clusterId)) {
      leaderPods.put(key, Map.entry(leader.get().key(), written.podUid));
      return written.podUid;
    }
    // The pairing decides later whether the key's process is gone, so it is made from the pod as
    // the API server has it now: a lagging cache could still hold the previous pod of that name.
    // Once per leader key; never in a pass that finds nothing changed.
    pods.stream()
        .filter(p -> p.getMetadata().getName().equals(leader.get().clusterId()))
        .findFirst()
        .flatMap(
            cached -> reads.livePod(cached.getMetadata().getNamespace(), leader.get().clusterId()))
        .filter(p -> Leadership.podIp(p) != null)
        .ifPresent(
            p -> leaderPods.put(key, Map.entry(leader.get().key(), p.getMetadata().getUid())));
    return null;
  }

  ElectionStep(
      KubernetesClient client,
      ClusterReads reads,
      ElectionObserver observer,
      ObjectApplier applier,
      ClusterEvents events,
      OperatorMetrics metrics,
      Clock clock) {
    this.client = client;
    this.reads = reads;
    this.observer = observer;
    this.applier = applier;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** What the status needs from this step. */
  record Outcome(
      boolean observed,
      LeaderStatus leader,
      FailoverStatus failover,
      Map<String, String> roles,
      boolean leaderRouted) {}

  /**
   * How long a cluster's first pass waits for its election's first listing; later passes never
   * wait. An answering etcd lists in milliseconds; one that does not answer (a new cluster's own
   * etcd, not started yet) costs the first pass this much once.
   */
  static final Duration FIRST_LISTING_WAIT = Duration.ofSeconds(1);

  static String key(LightningCluster c) {
    return c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
  }

  /**
   * Follows the cluster's election and returns what is known of it now, or null when the etcd TLS
   * material is unusable (reported as a problem). Called before the pods are listed, so the pods
   * the decision sees are never older than the election view.
   */
  ElectionView observe(
      LightningCluster cluster, EffectiveSpec spec, EtcdTarget target, List<Problem> problems) {
    String key = key(cluster);
    try {
      observer.track(key, target, ElectionPrefixes.listed(spec), ElectionPrefixes.watchRoot(spec));
    } catch (IllegalArgumentException e) {
      problems.add(
          new Problem(
              Problem.INVALID_SECRET,
              e.getMessage()
                  + "; fix Secret "
                  + spec.names().namespace()
                  + "/"
                  + spec.etcdClientTlsSecret()
                  + " (PEM ca.crt, tls.crt, tls.key)"));
      return null;
    }
    if (listingAwaited.add(key)) {
      observer.awaitFirstListing(key, FIRST_LISTING_WAIT);
    }
    return observer.view(key);
  }

  /** Records whether this pass read the leader's LND as active (forgets it if not). */
  void noteLeaderState(LightningCluster cluster, String leaderPod, List<Pod> pods, boolean active) {
    String key = key(cluster);
    ElectionView view = observer.view(key);
    String container = runningLndContainer(pods, leaderPod);
    if (active
        && container != null
        && view != null
        && view.leader().isPresent()
        && view.leader().get().clusterId().equals(leaderPod)) {
      seenActive.put(key, new SeenActive(view.leader().get().key(), container, clock.instant()));
    } else {
      seenActive.remove(key);
    }
  }

  private static String runningLndContainer(List<Pod> pods, String pod) {
    return pods.stream()
        .filter(p -> p.getMetadata().getName().equals(pod))
        .findFirst()
        .map(Leadership::runningLndProcess)
        .orElse(null);
  }

  /**
   * The view's leader, if this operator read it as active recently and the same container still
   * runs; else null.
   */
  private String seenActiveLeader(String key, ElectionView view, List<Pod> pods) {
    SeenActive seen = seenActive.get(key);
    if (seen == null
        || view.leader().isEmpty()
        || !view.leader().get().key().equals(seen.leaderKey())
        || Duration.between(seen.at(), clock.instant()).compareTo(SEEN_ACTIVE_FOR) > 0
        || !seen.container().equals(runningLndContainer(pods, view.leader().get().clusterId()))) {
      return null;
    }
    return view.leader().get().clusterId();
  }

  /**
   * Routes the leader as ready once this operator has read its LND as active, up to a readiness
   * period before its probe would. Only if the election still has the same leader: a view taken
   * earlier in the pass may be stale, and routing a deposed leader is never acceptable.
   */
  Outcome routeSeenActive(
      LightningCluster cluster,
      EffectiveSpec spec,
      List<Pod> pods,
      LightningClusterStatus previous,
      Outcome before,
      List<Problem> problems) {
    String key = key(cluster);
    ElectionView view = observer.view(key);
    if (view == null || !view.synced()) {
      return before;
    }
    String activePod = seenActiveLeader(key, view, pods);
    if (activePod == null) {
      return before;
    }
    Leadership.Decision decision = decide(key, view, pods, previous, activePod);
    if (decision.routes().isEmpty()
        || decision.routes().get().stream().noneMatch(Leadership.Route::ready)) {
      return before;
    }
    if (!writeSlice(cluster, spec, view, decision.routes().get(), problems, true)) {
      return before;
    }
    return new Outcome(before.observed(), before.leader(), before.failover(), before.roles(), true);
  }

  /**
   * Writes the leader EndpointSlice with these routes; false if the write was refused.
   *
   * @param routesLeader whether the routes are the view's leader's, so that the write's delay after
   *     the leader's election is worth measuring (not when a dead leader is only taken out)
   */
  private boolean writeSlice(
      LightningCluster cluster,
      EffectiveSpec spec,
      ElectionView view,
      List<Leadership.Route> routes,
      List<Problem> problems,
      boolean routesLeader) {
    List<LeaderEndpointSliceBuilder.RoutedMember> members =
        routes.stream()
            .map(r -> new LeaderEndpointSliceBuilder.RoutedMember(r.pod(), r.ready()))
            .toList();
    ObjectApplier.Outcome o =
        applier.apply(cluster, keepingRevision(cluster, spec, members, view.leaderSinceRevision()));
    if (o.problem() != null) {
      // Clients may still reach whatever the slice routed before: never report that as serving.
      problems.add(
          new Problem(
              Problem.ROUTING_FAILED,
              "the leader EndpointSlice could not be written, so the leader Service may still"
                  + " route to a deposed leader; retrying: "
                  + o.problem().message()));
      return false;
    }
    if (o.written() && routesLeader && view.leaderSince() != null) {
      metrics.routingDelay(Duration.between(view.leaderSince(), clock.instant()));
    }
    return true;
  }

  /**
   * The slice for these members. A slice that already routes them as they stand keeps the election
   * revision it was written with: an operator that just started knows only the revision it listed
   * the election at, later than the one the slice names, and rewriting every cluster's slice for
   * that alone cost a restart at 1,000 clusters 1,000 writes. The kept revision still names one at
   * which the routed pod's member held the election: the slice was written for it then, and its
   * members have not changed since.
   */
  private io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice keepingRevision(
      LightningCluster cluster,
      EffectiveSpec spec,
      List<LeaderEndpointSliceBuilder.RoutedMember> members,
      long revision) {
    var desired = LeaderEndpointSliceBuilder.build(cluster, spec, members, revision);
    var live = reads.cached(desired);
    Map<String, String> annotations = live == null ? null : live.getMetadata().getAnnotations();
    String written =
        annotations == null ? null : annotations.get(LeaderEndpointSliceBuilder.ELECTION_REVISION);
    if (written == null || written.equals(Long.toString(revision))) {
      return desired;
    }
    try {
      var same = LeaderEndpointSliceBuilder.build(cluster, spec, members, Long.parseLong(written));
      return java.util.Objects.equals(DesiredHash.read(same), DesiredHash.read(live))
          ? same
          : desired;
    } catch (NumberFormatException e) {
      return desired;
    }
  }

  /**
   * Revokes a confirmed-dead leader's lease and routes the leader Service for the view {@link
   * #observe} returned. It runs first in a pass, before anything slower, because the time from an
   * election change to this write is how long clients may still reach a deposed leader.
   */
  Outcome route(
      LightningCluster cluster,
      EffectiveSpec spec,
      ElectionView view,
      List<Pod> pods,
      LightningClusterStatus previous,
      List<Problem> problems) {
    String key = key(cluster);
    // The pod remembered for the leader before this pass, to tell later whether it was replaced.
    Map.Entry<String, String> leaderPodBefore = leaderPods.get(key);
    Leadership.Decision decision =
        decide(key, view, pods, previous, seenActiveLeader(key, view, pods));
    if (decision.revocation().isPresent()) {
      // Decided on cached pods; a revocation is carried out only if the leader's pod as the API
      // server has it now still shows its process ended.
      pods = withLivePod(cluster, pods, decision.revocation().get().clusterId());
      decision = decide(key, view, pods, previous, seenActiveLeader(key, view, pods));
    }
    if (decision.revocation().isPresent() && decision.routes().isPresent()) {
      // The dead leader is taken out of the slice before its lease goes: once revoked, the
      // election moves at once, and from then on the slice must not route it. A refused write is
      // not a reason to keep the election waiting; the write after the revocation reports it.
      try {
        writeSlice(cluster, spec, view, decision.routes().get(), new ArrayList<>(), false);
      } catch (RuntimeException e) {
        log.debug("{}: taking the dead leader out before the revocation failed: {}", key, e);
      }
    }
    if (decision.revocation().isPresent()
        && revoke(cluster, key, spec, decision.revocation().get(), problems)) {
      // Route the successor in this same pass, from etcd itself, rather than wait for the
      // watch event to start another pass.
      try {
        view = observer.readNow(key);
        decision = decide(key, view, pods, previous, seenActiveLeader(key, view, pods));
      } catch (Exception e) {
        log.debug("{}: re-read after revocation failed: {}", key, e.toString());
      }
    }
    decision.unattributed().ifPresent(problems::add);

    boolean routed = false;
    if (decision.routes().isPresent()) {
      routed =
          writeSlice(cluster, spec, view, decision.routes().get(), problems, true)
              && decision.routes().get().stream().anyMatch(Leadership.Route::ready);
    } else {
      ensureSlice(cluster, spec, problems);
    }

    LeaderStatus prevLeader = previous != null ? previous.leader : null;
    FailoverStatus failover = previous != null ? previous.failover : null;
    if (!view.synced()) {
      return new Outcome(false, prevLeader, failover, Map.of(), false);
    }
    Optional<Candidate> leader = view.leader();
    LeaderStatus now = null;
    if (leader.isPresent()) {
      String id = leader.get().clusterId();
      boolean same = prevLeader != null && id.equals(prevLeader.clusterId);
      String pod = pods.stream().anyMatch(p -> p.getMetadata().getName().equals(id)) ? id : null;
      Map.Entry<String, String> attributed = leaderPods.get(key);
      String podUid =
          attributed != null && attributed.getKey().equals(leader.get().key())
              ? attributed.getValue()
              : null;
      now =
          new LeaderStatus(
              pod,
              id,
              same ? prevLeader.since : time(view),
              Long.toHexString(leader.get().leaseId()),
              podUid);
      if (!same) {
        String from =
            lastLeader.getOrDefault(key, prevLeader != null ? prevLeader.clusterId : null);
        failover = changed(cluster, key, failover, from, id, pods, leaderPodBefore, view);
      }
      lastLeader.put(key, id);
    }
    return new Outcome(true, now, failover, decision.roles(), routed);
  }

  private FailoverStatus changed(
      LightningCluster cluster,
      String key,
      FailoverStatus before,
      String from,
      String to,
      List<Pod> pods,
      Map.Entry<String, String> fromPod,
      ElectionView view) {
    metrics.leaderChanged(key);
    if (from == null || from.equals(to)) {
      events.normal(cluster, "LeaderElected", to + " was elected leader");
      return before != null ? before : new FailoverStatus();
    }
    String cause = cause(key, from, pods, fromPod);
    FailoverStatus after = new FailoverStatus();
    after.count = (before == null || before.count == null ? 0 : before.count) + 1;
    after.recent =
        new ArrayList<>(before == null || before.recent == null ? List.of() : before.recent);
    after.recent.add(new FailoverRecord(time(view), from, to, cause));
    while (after.recent.size() > FailoverStatus.KEPT) {
      after.recent.remove(0);
    }
    events.normal(
        cluster, "Failover", "leader moved from " + from + " to " + to + " (" + cause + ")");
    return after;
  }

  /**
   * @param fromPod the previous leader's key and the uid of its pod, if remembered
   */
  private String cause(String key, String from, List<Pod> pods, Map.Entry<String, String> fromPod) {
    Map<Long, String> mine = revoked.getOrDefault(key, Map.of());
    boolean revokedHere = mine.containsValue(from);
    if (revokedHere) {
      mine.values().removeIf(from::equals);
    }
    Pod p =
        pods.stream().filter(x -> x.getMetadata().getName().equals(from)).findFirst().orElse(null);
    return Leadership.failoverCause(revokedHere, p, fromPod == null ? null : fromPod.getValue());
  }

  /**
   * Revokes the lease; true when this call revoked it. A failure is a problem and an event, and the
   * pass is retried soon: until a revocation succeeds, the next member waits for the session TTL.
   */
  private boolean revoke(
      LightningCluster cluster,
      String key,
      EffectiveSpec spec,
      Leadership.Revocation r,
      List<Problem> problems) {
    Map<Long, String> mine = revoked.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
    if (mine.containsKey(r.leaseId())) {
      return false;
    }
    try {
      observer.revoke(key, r.leaseId());
      mine.put(r.leaseId(), r.clusterId());
      metrics.leaseRevoked(key);
      events.normal(
          cluster,
          "LeaseRevoked",
          "revoked the election lease of "
              + r.clusterId()
              + " because "
              + r.why()
              + "; the next member takes over without waiting for the session TTL");
      return true;
    } catch (Exception e) {
      String message =
          "revoking the election lease of "
              + r.clusterId()
              + " ("
              + r.why()
              + ") failed: "
              + describe(e)
              + "; until a retry succeeds the next member waits for the session TTL ("
              + spec.leaderSessionTtlSeconds()
              + " s)";
      log.warn("{}: {}", key, message);
      problems.add(new Problem(Problem.REVOCATION_FAILED, message));
      events.warning(cluster, Problem.REVOCATION_FAILED, message);
      return false;
    }
  }

  /** The pods with the named one replaced by its live copy, or left out if it no longer exists. */
  private List<Pod> withLivePod(LightningCluster cluster, List<Pod> pods, String name) {
    List<Pod> out = new ArrayList<>();
    pods.stream().filter(p -> !p.getMetadata().getName().equals(name)).forEach(out::add);
    reads
        .livePod(cluster.getMetadata().getNamespace(), name)
        .filter(p -> Owned.isOwnedBy(p, cluster))
        .ifPresent(out::add);
    out.sort(java.util.Comparator.comparing(p -> p.getMetadata().getName()));
    return out;
  }

  /** An error as a message says it, the cause of a failed future rather than its wrapper. */
  static String describe(Throwable e) {
    Throwable cause =
        e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
            ? e.getCause()
            : e;
    return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
  }

  /**
   * When the election cannot be followed at all (no usable etcd target yet): nothing is routed
   * anew, and a new cluster gets its empty EndpointSlice.
   */
  Outcome routeNothing(LightningCluster cluster, EffectiveSpec spec, List<Problem> problems) {
    ensureSlice(cluster, spec, problems);
    return null;
  }

  /** Election not observed (yet): keep whatever is routed; a new cluster starts empty. */
  private void ensureSlice(LightningCluster cluster, EffectiveSpec spec, List<Problem> problems) {
    ObjectApplier.Outcome o =
        applier.createIfAbsent(
            cluster, LeaderEndpointSliceBuilder.build(cluster, spec, List.of(), 0));
    if (o.problem() != null) {
      problems.add(o.problem());
    }
  }

  java.util.Set<String> tracked() {
    return observer.trackedClusters();
  }

  void forget(String key) {
    observer.untrack(key);
    listingAwaited.remove(key);
    revoked.remove(key);
    lastLeader.remove(key);
    leaderPods.remove(key);
    seenTerminated.remove(key);
    seenActive.remove(key);
    sightings.remove(key);
  }

  private String time(ElectionView view) {
    return (view.leaderSince() != null ? view.leaderSince() : clock.instant())
        .truncatedTo(ChronoUnit.SECONDS)
        .toString();
  }
}
