package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.ChainBackend;
import dev.operator.lightning.api.DatabaseStatus;
import dev.operator.lightning.api.LeaderStatus;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.api.MemberStatus;
import dev.operator.lightning.chain.BtcdProbe;
import dev.operator.lightning.database.PostgresProbe;
import dev.operator.lightning.election.ElectionObserver;
import dev.operator.lightning.election.ElectionView;
import dev.operator.lightning.election.EtcdTarget;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.metrics.OperatorMetrics;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.Labels;
import dev.operator.lightning.model.LeaderHealthCheck;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.Names;
import dev.operator.lightning.model.Owned;
import dev.operator.lightning.model.OwnedLndOptions;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One pass over one cluster: observe, decide, act. Every write is conditional on a difference, so a
 * pass over an unchanged cluster performs no write at all.
 */
public final class ClusterReconciliation {
  /** How often LND states are re-read when nothing else wakes the reconciler. */
  public static final Duration RESYNC_PERIOD = Duration.ofSeconds(10);

  /** How often a new leader's state is read until it is active and routed. */
  static final Duration ACTIVATION_RECHECK = Duration.ofMillis(250);

  /** The same while the leader's state stream is open: it wakes the pass, polling is the net. */
  static final Duration ACTIVATION_RECHECK_FOLLOWED = Duration.ofSeconds(1);

  /** How long after an election a leader that is not active yet is looked at that often. */
  static final Duration ACTIVATION_WINDOW = Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final ClusterReads reads;
  private final String operatorNamespace;

  /** Every cluster's facts for the checks against the others, kept per version. */
  private final ClusterFacts clusterFacts = new ClusterFacts();

  /**
   * Cluster key -> the namespace and name of the cluster whose data store it was refused for. A
   * deleted cluster leaves the cache at once, but its members stop only as their pods are deleted:
   * until then the refused cluster stays refused, or two LND nodes would share the store during the
   * shutdown.
   */
  private final Map<String, String[]> refusedFor = new java.util.concurrent.ConcurrentHashMap<>();

  private final Clock clock;
  private final ObjectApplier applier;
  private final OwnedSecrets ownedSecrets;
  private final ReferenceResolver references;
  private final ClusterEvents events;
  private final ElectionStep election;
  private final Fencing fencing;
  private final RoleLabels roleLabels;
  private final WalletSetup wallet;
  private final LeaderNode leaderNode;
  private final PeerReconnection peerReconnection;

  /** Clusters a pass has gone over to the end since this process started (a metric). */
  private final Set<String> confirmed = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final PostgresProbe postgresProbe;
  private final MemberStates memberStates;
  private final StatusWrites statusWrites;

  /** First and longest delay before a pass that left a safety step undone runs again. */
  static final Duration RETRY_MIN = Duration.ofMillis(500);

  static final Duration RETRY_MAX = Duration.ofSeconds(30);

  private final Map<String, Duration> retryAfter = new ConcurrentHashMap<>();
  private final ActivationStreams activation;
  private final LeaderNodeWork nodeWork;
  private final EventSender eventSender;

  /**
   * @param reads where the pass reads Kubernetes objects: the operator's informer caches, or the
   *     API server itself for a reconciliation called without them
   * @param operatorNamespace the namespace the operator's pods run in, admitted by the clusters'
   *     NetworkPolicies; null when unknown (then operator pods in any namespace are)
   * @param eventSender where the POSTs of the clusters' Kubernetes Events run
   */
  public ClusterReconciliation(
      KubernetesClient client,
      ClusterReads reads,
      ElectionObserver observer,
      OperatorMetrics metrics,
      Clock clock,
      String operatorNamespace,
      EventSender eventSender) {
    this.operatorNamespace = operatorNamespace;
    this.eventSender = eventSender;
    this.client = client;
    this.reads = reads;
    this.clock = clock;
    this.applier = new ObjectApplier(client, reads);
    this.ownedSecrets = new OwnedSecrets(reads, applier);
    this.references = new ReferenceResolver(reads);
    this.events = new ClusterEvents(client, clock, eventSender);
    this.election = new ElectionStep(client, reads, observer, applier, events, metrics, clock);
    this.fencing = new Fencing(client, observer, events, metrics);
    this.roleLabels = new RoleLabels(client);
    this.wallet = new WalletSetup(client, reads, applier, events);
    this.leaderNode = new LeaderNode(client, reads, events, clock);
    this.peerReconnection =
        new PeerReconnection(
            n -> PeerReconnection.keptRootKey(reads, n),
            new KeptPeerAddresses(client, reads),
            (cluster, reason, message) -> {
              if (PeerReconnection.RECONNECTED.equals(reason)) {
                metrics.peerReconnected(ElectionStep.key(cluster));
              } else if (PeerReconnection.DIALLED.equals(reason)) {
                metrics.peerDialled(ElectionStep.key(cluster));
              }
              events.warning(cluster, reason, message);
            },
            clock);
    metrics.clustersConfirmed(confirmed);
    this.postgresProbe = new PostgresProbe(clock);
    this.memberStates = new MemberStates(new MemberStateReads(clock));
    this.statusWrites = new StatusWrites(client);
    this.activation = new ActivationStreams(observer::wake, clock);
    this.nodeWork = new LeaderNodeWork(observer::wake, clock);
  }

  /**
   * An election prefix or a data store that an older cluster already uses: either would let two LND
   * nodes act on one cluster's state.
   */
  private Optional<Problem> sharedStore(
      LightningCluster cluster, EffectiveSpec spec, Collection<LightningCluster> all) {
    Optional<Problem> prefix =
        ElectionPrefixes.conflict(cluster, spec, all, clusterFacts)
            .map(c -> new Problem(Problem.PREFIX_CONFLICT, c.message()));
    if (prefix.isPresent()) {
      return prefix;
    }
    String key = ElectionStep.key(cluster);
    Optional<DataStores.Conflict> data =
        DataStores.conflict(cluster, spec, all, references::postgresEndpoint, clusterFacts);
    if (data.isPresent()) {
      var other = data.get().other().getMetadata();
      refusedFor.put(key, new String[] {other.getNamespace(), other.getName()});
      return Optional.of(new Problem(Problem.DATA_STORE_CONFLICT, data.get().message()));
    }
    String[] previous = refusedFor.get(key);
    if (previous != null) {
      long stillRunning = lndPods(new Names(previous[1], previous[0])).count();
      if (stillRunning > 0) {
        return Optional.of(
            new Problem(
                Problem.DATA_STORE_CONFLICT,
                "LightningCluster "
                    + previous[0]
                    + "/"
                    + previous[1]
                    + ", whose data store this cluster shares, is gone but "
                    + stillRunning
                    + " of its member pods still exist; this cluster starts no member until they"
                    + " have stopped, so that two LND nodes never write one database"));
      }
      refusedFor.remove(key);
    }
    return Optional.empty();
  }

  /** Cancels every state stream; the operator is stopping. */
  public void close() {
    activation.retainOnly(Set.of());
    nodeWork.close();
    if (eventSender instanceof EventLanes lanes) {
      lanes.close();
    }
  }

  /** Stops following deleted clusters' elections and forgets what was kept for them. */
  public void forgetAllBut(java.util.Set<ResourceID> existing, java.util.Set<String> existingUids) {
    java.util.Set<String> keep = new java.util.HashSet<>();
    existing.forEach(id -> keep.add(id.getNamespace().orElse("") + "/" + id.getName()));
    for (String key : election.tracked()) {
      if (!keep.contains(key)) {
        election.forget(key);
      }
    }
    clusterFacts.retainOnly(existingUids);
    statusWrites.retainOnly(keep);
    retryAfter.keySet().removeIf(k -> !keep.contains(k));
    refusedFor.keySet().removeIf(k -> !keep.contains(k));
    activation.retainOnly(keep);
    nodeWork.retainOnly(keep);
    peerReconnection.retainOnly(keep);
    confirmed.retainAll(keep);
  }

  /** One pass for a cluster alone (tests): no other cluster can share its election. */
  public Duration reconcile(LightningCluster cluster) {
    return reconcile(cluster, List.of(cluster));
  }

  /**
   * @param all every LightningCluster the operator knows, to refuse an election prefix that
   *     collides with an older cluster's
   */
  public Duration reconcile(LightningCluster cluster, Collection<LightningCluster> all) {
    EffectiveSpec spec = EffectiveSpec.of(cluster);
    List<Problem> problems = new ArrayList<>();
    ReferenceResolver.Result refs = references.resolve(spec);
    problems.addAll(refs.problems());
    Optional<Problem> conflict = sharedStore(cluster, spec, all);
    // First, so it is the reason shown: nothing else matters until the cluster is recreated.
    conflict.ifPresent(c -> problems.add(0, c));
    if (conflict.isPresent() && election.tracked().contains(ElectionStep.key(cluster))) {
      election.forget(ElectionStep.key(cluster));
    }

    // Routing comes first: the time from an election change to the EndpointSlice write is how
    // long clients may still reach a deposed leader. The election is read before the pods, and
    // the pods before members are (re)created, so a pod that vanished looks gone to the
    // decision instead of being hidden by its replacement of the same name.
    // A cluster whose prefix collides with an older one's never follows that election: it could
    // act on the other cluster's keys.
    EtcdTarget target = conflict.isPresent() ? null : etcdTarget(spec, refs);
    ElectionView view = target == null ? null : election.observe(cluster, spec, target, problems);
    List<Pod> pods = memberPods(cluster, spec.names());
    if (view != null) {
      // The new leader's own stream said it is active: route it in this first step rather than
      // after every member's state read, which cost an idle failover about 200 ms.
      // Only for the view's leader: a note for another pod would drop what was seen of the leader.
      activation
          .reportedActive(ElectionStep.key(cluster), pods, ElectionStep.SEEN_ACTIVE_FOR)
          .filter(pod -> view.leader().filter(l -> l.clusterId().equals(pod)).isPresent())
          .ifPresent(pod -> election.noteLeaderState(cluster, pod, pods, true));
    }
    ElectionStep.Outcome leadership =
        view == null
            ? election.routeNothing(cluster, spec, problems)
            : election.route(cluster, spec, view, pods, statusWrites.previous(cluster), problems);
    // A deposed leader whose process still runs is fenced next, before anything slow in the pass
    // (its own state read waits out its timeout while it is frozen): its pod's deletion kills a
    // frozen process after the grace period without waking it, and the sooner that starts, the
    // likelier the kill lands before the process wakes and acts beside its successor (a paused
    // leader woken once its successor served settled a payment's HTLC it no longer recorded).
    LeaderStatus previousLeader =
        statusWrites.previous(cluster) == null ? null : statusWrites.previous(cluster).leader;
    List<String> deposedFirst =
        view == null
            ? List.of()
            : Leadership.deposedStillRunning(view, previousLeader, pods)
                .map(List::of)
                .orElse(List.of());
    fencing.fenceDeposed(cluster, pods, deposedFirst, problems);

    // A user setting that reaches an option the operator owns could move LND's state out of
    // etcd: nothing is rendered from such a spec, and running members stay as they are. (Checked
    // after routing, which must not wait for a parse of up to 64 KiB.)
    List<Problem> lndSettings = lndSettingsProblems(spec);
    problems.addAll(lndSettings);
    // Members are given a chain backend only once the operator reached it with their settings
    // (after routing: an unreachable btcd costs this probe its timeouts).
    List<Problem> chain = refs.ok() ? chainProblems(spec, refs) : List.of();
    problems.addAll(chain);
    // The same for PostgreSQL: LND exits at start when it cannot open its database.
    List<Problem> database = refs.ok() ? databaseProblems(spec, refs) : List.of();
    problems.addAll(database);

    OwnedSecrets.Result secrets = ownedSecrets.ensure(cluster, spec);
    problems.addAll(secrets.problems());
    List<MemberStatus> members = memberStates.observe(spec, pods, secrets.ca());
    String routedLeader = Observation.leaderPod(leadership);
    boolean walletStep = routedLeader != null && refs.ok() && secrets.ca() != null;
    List<Problem> blocking = new ArrayList<>(refs.problems());
    conflict.ifPresent(blocking::add);
    blocking.addAll(lndSettings);
    blocking.addAll(chain);
    blocking.addAll(database);
    Observation observation =
        new Observation(
            cluster,
            spec,
            refs.ok() ? refs.credentials() : null,
            secrets.ca(),
            blocking,
            pods,
            members,
            view,
            leadership,
            previousLeader,
            activation.follows(
                ElectionStep.key(cluster), podUid(pods, Observation.leaderPod(leadership))),
            election.campaigned(cluster, view, pods),
            walletStep ? wallet.facts(spec, stateOf(members, routedLeader), problems) : null,
            operatorNamespace,
            clock.instant());
    ClusterPlan plan = ClusterPlan.decide(observation);

    plan.objects().forEach(o -> apply(cluster, o, problems));
    plan.removals().forEach(o -> remove(cluster, o, problems));
    if (plan.lndConfig() != null) {
      apply(cluster, plan.lndConfig(), problems);
      if (carryOut(cluster, spec.names(), plan.members(), problems)) {
        // Report the members as they are now, so the next pass has nothing new to write, and
        // decide routing, fencing and the next look from those states too.
        members = memberStates.observe(spec, memberPods(cluster, spec.names()), secrets.ca());
        observation =
            observation.withMembers(
                members,
                walletStep ? wallet.facts(spec, stateOf(members, routedLeader), problems) : null);
        plan = ClusterPlan.decide(observation);
      }
    }
    String leaderPod = observation.leaderPod();
    if (plan.leaderActive() != null) {
      election.noteLeaderState(cluster, leaderPod, pods, plan.leaderActive());
    }
    if (plan.routeLeaderSeenActive()) {
      leadership =
          election.routeSeenActive(
              cluster, spec, pods, statusWrites.previous(cluster), leadership, problems);
    }
    followActivation(cluster, spec.names(), pods, plan.followActivation(), secrets.ca());
    fencing.fence(cluster, pods, notIn(plan.fences(), deposedFirst), problems);
    fencing.fenceDeposed(cluster, pods, notIn(plan.deposed(), deposedFirst), problems);
    fencing.restartOutOfElection(cluster, pods, plan.outOfElection(), problems);
    roleLabels.label(cluster.getMetadata().getNamespace(), plan.roleLabels());
    Map<String, String> states = new HashMap<>();
    members.forEach(m -> states.put(m.pod, m.lndState));
    Duration next = plan.next();
    // The first leader of a new cluster waits without a wallet: create it through that leader;
    // once it exists, keep its admin credentials in place.
    if (!plan.wallet().equals(WalletSteps.Plan.NONE)) {
      wallet.carryOut(
          cluster,
          spec,
          leaderPod,
          plan.wallet(),
          memberStates.restClient(secrets.ca()),
          secrets.ca().certificatePem(),
          problems);
    }
    // The node behind the leader Service, read only once it is active and routed there, off the
    // pass: a leader that answers its state but not GetInfo must not hold the next routing.
    LeaderNode.Result node = LeaderNode.unread(statusWrites.previous(cluster));
    if (leaderPod != null
        && leadership.leaderRouted()
        && Leadership.isActive(states.get(leaderPod))
        && secrets.ca() != null) {
      String process = leaderProcess(pods, leaderPod);
      LndRestClient lnd = memberStates.restClient(secrets.ca());
      LightningClusterStatus previous = statusWrites.previous(cluster);
      String state = states.get(leaderPod);
      Optional<LeaderNodeWork.Outcome> done =
          nodeWork.take(
              ElectionStep.key(cluster),
              process,
              () -> {
                List<Problem> found = new ArrayList<>();
                LeaderNode.Result read =
                    leaderNode.observe(cluster, spec.names(), leaderPod, lnd, previous, found);
                // A leader deposed while its GetInfo ran is not asked to dial or drop its peers.
                Duration look =
                    read.readable() && nodeWork.isCurrent(ElectionStep.key(cluster), process)
                        ? peerReconnection.watch(
                            cluster, spec.names(), leaderPod, process, state, read.node(), lnd)
                        : null;
                return new LeaderNodeWork.Outcome(read, look, found);
              });
      if (done.isPresent() && done.get().node().readable()) {
        node = done.get().node();
        problems.addAll(done.get().problems());
        Duration look = done.get().look();
        if (look != null && look.compareTo(next) < 0) {
          next = look;
        }
      }
    } else {
      nodeWork.noLeader(ElectionStep.key(cluster));
    }
    next = retryIfUnsafe(ElectionStep.key(cluster), problems, next);
    StatusFacts facts =
        new StatusFacts(
            Optional.ofNullable(cluster.getMetadata().getGeneration()).orElse(0L),
            spec.replicas(),
            members,
            etcdReadyMembers(plan),
            spec.isManagedEtcd() ? spec.managedEtcd().replicas() : 0,
            problems,
            spec.electionPrefix(),
            spec.etcdEndpoint(),
            leadership,
            spec.chain().backend,
            node,
            databaseStatus(spec, refs));
    LightningClusterStatus previous = statusWrites.previous(cluster);
    StatusAggregator.Decision decision = StatusAggregator.decide(facts, previous, clock.instant());
    if (!decision.status().equals(previous)) {
      statusWrites.write(cluster, decision.status());
    }
    for (StatusAggregator.Transition t : decision.transitions()) {
      if (t.warning()) {
        events.warning(cluster, t.condition().getReason(), t.condition().getMessage());
      } else if (previous != null) {
        // A new cluster's first healthy conditions are not news; later recoveries are.
        events.normal(cluster, t.condition().getReason(), t.condition().getMessage());
      }
    }
    confirmed.add(ElectionStep.key(cluster));
    return next;
  }

  /** Ready members of the managed etcd the plan applied; null for an external one. */
  private Integer etcdReadyMembers(ClusterPlan plan) {
    StatefulSet desired =
        plan.objects().stream()
            .filter(StatefulSet.class::isInstance)
            .map(StatefulSet.class::cast)
            .findFirst()
            .orElse(null);
    if (desired == null) {
      return null;
    }
    StatefulSet sts = reads.current(desired);
    return sts != null && sts.getStatus() != null && sts.getStatus().getReadyReplicas() != null
        ? sts.getStatus().getReadyReplicas()
        : 0;
  }

  /** What the btcd probe found with the members' settings; nothing for other backends. */
  private static List<Problem> chainProblems(EffectiveSpec spec, ReferenceResolver.Result refs) {
    if (spec.chain().backend != ChainBackend.btcd) {
      return List.of();
    }
    BtcdProbe.Result r =
        BtcdProbe.probe(
            spec.chain().btcd.rpcHost,
            BtcdProbe.defaultRpcPort(spec.network()),
            refs.credentials().chainRpcCertPem(),
            refs.credentials().chainRpcUser(),
            refs.credentials().chainRpcPass());
    return r.ok()
        ? List.of()
        : List.of(
            new Problem(
                r.reason(),
                r.message()
                    + "; members keep their current settings until the operator reaches btcd"
                    + " with spec.chain.btcd"));
  }

  /** What the PostgreSQL probe found with the members' connection string; nothing for etcd. */
  private List<Problem> databaseProblems(EffectiveSpec spec, ReferenceResolver.Result refs) {
    if (!spec.isPostgres() || refs.postgres() == null) {
      return List.of();
    }
    PostgresProbe.Result r =
        postgresProbe.probe(refs.postgres(), spec.postgres().ca() != null, refs.postgresCaPem());
    return r.ok()
        ? List.of()
        : List.of(
            new Problem(
                r.reason(),
                r.message()
                    + "; members keep their current settings until the operator reaches the"
                    + " database with spec.database.postgres"));
  }

  /** Where the data lives, for the status: never the credentials. */
  private static DatabaseStatus databaseStatus(EffectiveSpec spec, ReferenceResolver.Result refs) {
    DatabaseStatus d = new DatabaseStatus();
    d.backend = spec.databaseBackend().name();
    if (spec.isPostgres()) {
      boolean ca = spec.postgres().ca() != null;
      d.endpoint = refs.postgres() != null ? refs.postgres().endpoint() : null;
      d.sslMode = refs.postgres() != null ? refs.postgres().sslMode(ca) : null;
      d.nativeSql = spec.postgres().nativeSql();
    } else {
      d.endpoint = spec.etcdEndpoint();
    }
    return d;
  }

  private static List<Problem> lndSettingsProblems(EffectiveSpec spec) {
    List<Problem> out = new ArrayList<>();
    if (spec.leaderSessionTtlSeconds() < LeaderHealthCheck.MIN_TTL_SECONDS) {
      // The CRD refuses such a TTL now, but a cluster created before may still carry one.
      out.add(
          new Problem(
              "SessionTtlTooShort",
              "spec.election.leaderSessionTtlSeconds is "
                  + spec.leaderSessionTtlSeconds()
                  + " s; the leader health check needs at least "
                  + LeaderHealthCheck.MIN_TTL_SECONDS
                  + " s to stop a leader cut off from etcd before its session can expire; raise"
                  + " it"));
    }
    for (OwnedLndOptions.Finding f : OwnedLndOptions.inConfig(spec.extraConfig())) {
      out.add(new Problem(f.reason(), f.message()));
    }
    for (OwnedLndOptions.Finding f : OwnedLndOptions.inArgs(spec.extraArgs())) {
      out.add(new Problem(f.reason(), f.message()));
    }
    return out;
  }

  /**
   * A pass that left a safety step undone (a revocation, a routing write, a fencing) runs again
   * soon, backing off from {@link #RETRY_MIN} to {@link #RETRY_MAX} while it keeps failing.
   */
  private Duration retryIfUnsafe(String key, List<Problem> problems, Duration next) {
    if (problems.stream().noneMatch(p -> Problem.RETRIED.contains(p.reason()))) {
      retryAfter.remove(key);
      return next;
    }
    Duration retry = retryAfter.getOrDefault(key, RETRY_MIN);
    retryAfter.put(
        key, retry.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : retry.multipliedBy(2));
    return retry.compareTo(next) < 0 ? retry : next;
  }

  /** How the operator itself reaches the cluster's etcd, or null when it cannot yet. */
  private EtcdTarget etcdTarget(EffectiveSpec spec, ReferenceResolver.Result refs) {
    if (spec.isManagedEtcd()) {
      Secret tls = reads.ownedSecret(spec.names().namespace(), spec.names().etcdClientTlsSecret());
      if (tls == null || tls.getData() == null) {
        return null;
      }
      return new EtcdTarget(
          spec.etcdEndpoint(),
          OwnedSecrets.decode(tls, "ca.crt"),
          OwnedSecrets.decode(tls, "tls.crt"),
          OwnedSecrets.decode(tls, "tls.key"),
          null,
          null);
    }
    if (!refs.ok()) {
      return null;
    }
    Map<String, String> tls = refs.externalEtcdTls();
    return new EtcdTarget(
        spec.etcdEndpoint(),
        tls.get("ca.crt"),
        tls.get("tls.crt"),
        tls.get("tls.key"),
        refs.credentials().etcdUser(),
        refs.credentials().etcdPass());
  }

  /** The leader's running lnd process: its pod's uid and its container, or its name alone. */
  private static String leaderProcess(List<Pod> pods, String name) {
    return pods.stream()
        .filter(p -> p.getMetadata().getName().equals(name))
        .findFirst()
        .map(p -> p.getMetadata().getUid() + "/" + Leadership.runningLndProcess(p))
        .orElse(name);
  }

  private static String podUid(List<Pod> pods, String name) {
    return pods.stream()
        .filter(p -> p.getMetadata().getName().equals(name))
        .findFirst()
        .map(p -> p.getMetadata().getUid())
        .orElse(null);
  }

  /** Opens the state stream of the leader pod the plan names, or closes the cluster's stream. */
  private void followActivation(
      LightningCluster cluster, Names n, List<Pod> pods, String pod, CertificateAuthority ca) {
    String key = ElectionStep.key(cluster);
    Pod p =
        pods.stream().filter(x -> x.getMetadata().getName().equals(pod)).findFirst().orElse(null);
    String uid = p == null ? null : p.getMetadata().getUid();
    if (uid == null || ca == null || Leadership.terminating(p) || Leadership.podIp(p) == null) {
      activation.stop(key);
      return;
    }
    activation.follow(
        key,
        uid,
        Leadership.runningLndProcess(p),
        memberStates.restClient(ca),
        pod + "." + n.serviceHost(n.membersService()),
        MemberPaths.REST_PORT);
  }

  /** Creates and deletes the member pods the plan names; true when it changed any. */
  private boolean carryOut(
      LightningCluster cluster, Names n, List<MemberPlan.Action> actions, List<Problem> problems) {
    boolean changed = false;
    for (MemberPlan.Action action : actions) {
      if (action instanceof MemberPlan.Create c) {
        ObjectApplier.Outcome o = applier.createIfAbsent(cluster, c.pod());
        if (o.problem() != null) {
          problems.add(o.problem());
        } else if (o.written()) {
          changed = true;
          events.normal(
              cluster, "MemberCreated", "created member pod " + c.pod().getMetadata().getName());
        }
      } else if (action instanceof MemberPlan.Delete d) {
        client.resource(d.pod()).delete();
        changed = true;
        String name = d.pod().getMetadata().getName();
        if (d.why() == MemberPlan.Removal.SCALE_DOWN) {
          events.normal(cluster, "MemberRemoved", "removed member pod " + name + " (scale down)");
        } else {
          events.normal(
              cluster,
              "MemberReplaced",
              "deleted member pod "
                  + name
                  + (d.leader() ? " (the leader, last)" : "")
                  + " to apply the changed spec");
        }
      }
    }
    return changed;
  }

  /**
   * The member pods this cluster created: its labels and its owner reference. A pod that only
   * carries the labels is not a member: it is never routed to, fenced, or taken as the holder of an
   * election key.
   */
  private List<Pod> memberPods(LightningCluster cluster, Names n) {
    return lndPods(n)
        .filter(p -> Owned.isOwnedBy(p, cluster))
        .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
        .toList();
  }

  /** Pods carrying the member labels of the named cluster, whoever owns them now. */
  private java.util.stream.Stream<Pod> lndPods(Names n) {
    Map<String, String> selector = Labels.selector(n.cluster(), Labels.COMPONENT_LND);
    return reads
        .pods(n.namespace())
        .filter(
            p ->
                p.getMetadata().getLabels() != null
                    && p.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()));
  }

  /** The LND state read for the named member, or null. */
  private static String stateOf(List<MemberStatus> members, String pod) {
    return members.stream()
        .filter(m -> m.pod.equals(pod))
        .findFirst()
        .map(m -> m.lndState)
        .orElse(null);
  }

  private static List<String> notIn(List<String> pods, List<String> done) {
    return done.isEmpty() ? pods : pods.stream().filter(p -> !done.contains(p)).toList();
  }

  private void apply(LightningCluster cluster, HasMetadata desired, List<Problem> problems) {
    report(applier.apply(cluster, desired), problems);
  }

  private void remove(LightningCluster cluster, HasMetadata unwanted, List<Problem> problems) {
    report(applier.remove(cluster, unwanted), problems);
  }

  private static void report(ObjectApplier.Outcome o, List<Problem> problems) {
    if (o.problem() != null) {
      problems.add(o.problem());
    }
  }
}
