package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.MemberStatus;
import dev.operator.lightning.model.DesiredHash;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.EtcdClientServiceBuilder;
import dev.operator.lightning.model.EtcdDisruptionBudgetBuilder;
import dev.operator.lightning.model.EtcdNetworkPolicyBuilder;
import dev.operator.lightning.model.EtcdPeerServiceBuilder;
import dev.operator.lightning.model.EtcdStatefulSetBuilder;
import dev.operator.lightning.model.Labels;
import dev.operator.lightning.model.LeaderServiceBuilder;
import dev.operator.lightning.model.LndConfig;
import dev.operator.lightning.model.LndNetworkPolicyBuilder;
import dev.operator.lightning.model.MemberDisruptionBudgetBuilder;
import dev.operator.lightning.model.MemberPodBuilder;
import dev.operator.lightning.model.MembersServiceBuilder;
import dev.operator.lightning.model.NetworkPolicies;
import dev.operator.lightning.model.SecretBuilders;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a pass does once its leader Service is routed, decided from its {@link Observation} alone.
 * The pass carries it out in this order: objects, lnd.conf, member pods, routing a leader seen
 * active, fencing, role labels, the wallet.
 *
 * @param objects the owned objects besides member pods and lnd.conf, in the order they are applied
 * @param removals owned objects the spec no longer wants (NetworkPolicies switched off), deleted if
 *     they exist
 * @param lndConfig the lnd.conf Secret; null when it cannot be rendered, and then no member pod is
 *     created or deleted either
 * @param members pods to create and delete
 * @param leaderActive whether the leader's LND was read as active; null when no leader is followed
 * @param routeLeaderSeenActive route the leader ready now, ahead of its readiness probe
 * @param followActivation the leader pod whose LND state stream is to be followed while it
 *     activates; null to follow none
 * @param fences members that report an active state without holding leadership
 * @param deposed the previous leader's pod when the election moved on while the process that led
 *     still runs (see {@link Leadership#deposedStillRunning}); empty otherwise
 * @param outOfElection followers whose process waits without a key in the election, to restart (see
 *     {@link Leadership#outOfElection})
 * @param roleLabels pod name -> role label to write, for pods whose label differs
 * @param wallet the wallet steps ({@link WalletSteps}): create the wallet through the leader, or
 *     mint a missing macaroon again
 * @param next when the cluster is looked at again if nothing else wakes it
 */
record ClusterPlan(
    List<HasMetadata> objects,
    List<HasMetadata> removals,
    Secret lndConfig,
    List<MemberPlan.Action> members,
    Boolean leaderActive,
    boolean routeLeaderSeenActive,
    String followActivation,
    List<String> fences,
    List<String> deposed,
    List<String> outOfElection,
    Map<String, String> roleLabels,
    WalletSteps.Plan wallet,
    Duration next) {

  static ClusterPlan decide(Observation o) {
    LightningCluster cluster = o.cluster();
    EffectiveSpec spec = o.spec();
    List<HasMetadata> objects = new ArrayList<>();
    if (spec.isManagedEtcd()) {
      objects.add(EtcdPeerServiceBuilder.build(cluster, spec));
      objects.add(EtcdClientServiceBuilder.build(cluster, spec));
      objects.add(EtcdDisruptionBudgetBuilder.build(cluster, spec));
      objects.add(EtcdStatefulSetBuilder.build(cluster, spec));
    }
    objects.add(MembersServiceBuilder.build(cluster, spec));
    objects.add(LeaderServiceBuilder.build(cluster, spec));
    objects.add(MemberDisruptionBudgetBuilder.build(cluster, spec));
    List<HasMetadata> removals = new ArrayList<>();
    List<HasMetadata> policies = new ArrayList<>();
    policies.add(LndNetworkPolicyBuilder.build(cluster, spec, o.operatorNamespace()));
    if (spec.isManagedEtcd()) {
      policies.add(EtcdNetworkPolicyBuilder.build(cluster, spec, o.operatorNamespace()));
    }
    (NetworkPolicies.enabled(cluster) ? objects : removals).addAll(policies);

    Map<String, String> states = new HashMap<>();
    Set<String> healthy = new HashSet<>();
    for (MemberStatus m : o.members()) {
      states.put(m.pod, m.lndState);
      if (Boolean.TRUE.equals(m.ready)) {
        healthy.add(m.pod);
      }
    }
    String leaderPod = o.leaderPod();

    Secret lndConfig = null;
    List<MemberPlan.Action> members = List.of();
    if (o.blocking().isEmpty() && o.credentials() != null && o.ca() != null) {
      String conf = LndConfig.render(spec, o.credentials());
      lndConfig = SecretBuilders.lndConfig(cluster, spec, conf);
      // Keyed with the CA key so that the hash on the pods reveals nothing about lnd.conf.
      String configHash = DesiredHash.of(o.ca().keyPem() + "\n" + conf);
      boolean clientCert = spec.isManagedEtcd() || o.credentials().externalEtcdClientCertificate();
      List<Pod> desired = new ArrayList<>();
      for (int i = 0; i < spec.replicas(); i++) {
        desired.add(MemberPodBuilder.build(cluster, spec, i, configHash, clientCert));
      }
      members = MemberPlan.decide(desired, o.pods(), healthy, leaderPod);
    }

    Boolean leaderActive = null;
    boolean routeSeenActive = false;
    String followActivation = null;
    Duration next = ClusterReconciliation.RESYNC_PERIOD;
    if (o.view() != null && o.leadership() != null && leaderPod != null) {
      leaderActive = Leadership.isActive(states.get(leaderPod));
      if (leaderActive && !o.leadership().leaderRouted()) {
        routeSeenActive = true;
      } else if (!leaderActive && recentlyElected(o.leadership(), o.now())) {
        // A new leader is opening its wallet: its state stream wakes the pass when it is active;
        // without one, look again soon instead of waiting for its probe.
        followActivation = leaderPod;
        next =
            o.activationFollowed()
                ? ClusterReconciliation.ACTIVATION_RECHECK_FOLLOWED
                : ClusterReconciliation.ACTIVATION_RECHECK;
      }
    }
    List<String> fences = List.of();
    List<String> deposed = List.of();
    List<String> outOfElection = List.of();
    Map<String, String> roleLabels = Map.of();
    if (o.view() != null && o.leadership() != null) {
      List<String> active = Leadership.fenceCandidates(o.view(), o.pods(), states);
      fences = active;
      deposed =
          Leadership.deposedStillRunning(o.view(), o.previousLeader(), o.pods())
              .filter(pod -> !active.contains(pod))
              .map(List::of)
              .orElse(List.of());
      outOfElection = Leadership.outOfElection(o.view(), o.pods(), states, o.campaigned(), o.now());
      // A follower still within its grace is looked at again when the grace ends, not at the
      // next resync: the sooner a stranded one is restarted, the smaller its chance to wake.
      Duration untilDue =
          Leadership.outOfElectionDue(o.view(), o.pods(), states, o.campaigned(), o.now())
              .map(due -> Duration.between(o.now(), due).plusMillis(100))
              .orElse(null);
      if (untilDue != null && untilDue.compareTo(next) < 0) {
        next = untilDue;
      }
      roleLabels = relabels(o.pods(), o.leadership().roles());
    }
    // Not held back by a blocking problem: a wallet is created with what the leader already runs.
    // Facts gathered for another state than the leader's as read (a read again after a member
    // changed) decide nothing: the next pass gathers them again.
    WalletSteps.Plan wallet =
        leaderPod != null
                && o.wallet() != null
                && o.credentials() != null
                && o.ca() != null
                && o.wallet().leaderState().equals(states.get(leaderPod))
            ? WalletSteps.decide(o.wallet())
            : WalletSteps.Plan.NONE;
    return new ClusterPlan(
        objects,
        removals,
        lndConfig,
        members,
        leaderActive,
        routeSeenActive,
        followActivation,
        fences,
        deposed,
        outOfElection,
        roleLabels,
        wallet,
        next);
  }

  /** The role labels that differ from the decided roles; a terminating pod keeps its label. */
  static Map<String, String> relabels(List<Pod> pods, Map<String, String> roles) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Pod p : pods) {
      String want = roles.get(p.getMetadata().getName());
      String have =
          p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(Labels.ROLE);
      if (want != null && !want.equals(have) && !Leadership.terminating(p)) {
        out.put(p.getMetadata().getName(), want);
      }
    }
    return out;
  }

  /** Whether the leader was elected within {@link ClusterReconciliation#ACTIVATION_WINDOW}. */
  static boolean recentlyElected(ElectionStep.Outcome leadership, Instant now) {
    if (leadership.leader() == null || leadership.leader().since == null) {
      return false;
    }
    try {
      Instant since = Instant.parse(leadership.leader().since);
      return Duration.between(since, now).compareTo(ClusterReconciliation.ACTIVATION_WINDOW) < 0;
    } catch (DateTimeParseException e) {
      return false;
    }
  }
}
