package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LeaderStatus;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.MemberStatus;
import dev.operator.lightning.election.Candidate;
import dev.operator.lightning.election.ElectionView;
import dev.operator.lightning.it.Clusters;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.Labels;
import dev.operator.lightning.model.LndConfig;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plan of a pass after routing, on tables of observations. */
class ClusterPlanTest {
  static final CertificateAuthority CA = CertificateAuthority.generate("test");
  static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");
  static final Candidate C0 = new Candidate("/p/a1", 10, 0xa1, "c1-0");

  static LightningCluster cluster() {
    LightningCluster lc = Clusters.managed("ns1", "c1");
    lc.getMetadata().setUid("uid-1");
    return lc;
  }

  static Pod pod(String name, String role) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ns1")
        .addToLabels(Labels.ROLE, role)
        .endMetadata()
        .build();
  }

  static ElectionStep.Outcome led(String since, boolean routed) {
    return new ElectionStep.Outcome(
        true,
        new LeaderStatus("c1-0", "c1-0", since),
        null,
        Map.of("c1-0", Leadership.LEADER, "c1-1", Leadership.FOLLOWER),
        routed);
  }

  static Observation observe(
      List<Problem> blocking,
      List<Pod> pods,
      List<MemberStatus> members,
      ElectionStep.Outcome leadership) {
    return observe(blocking, pods, members, leadership, false);
  }

  static Observation observe(
      List<Problem> blocking,
      List<Pod> pods,
      List<MemberStatus> members,
      ElectionStep.Outcome leadership,
      boolean activationFollowed) {
    LightningCluster c = cluster();
    ElectionView view =
        leadership == null ? null : new ElectionView(true, List.of(C0), 20, 10, NOW);
    return new Observation(
        c,
        EffectiveSpec.of(c),
        LndConfig.Credentials.NONE,
        CA,
        blocking,
        pods,
        members,
        view,
        leadership,
        null,
        activationFollowed,
        java.util.Set.of(),
        null,
        null,
        NOW);
  }

  /** The same observation of another cluster, or without the credentials or the CA. */
  static Observation with(
      Observation o,
      LightningCluster cluster,
      LndConfig.Credentials credentials,
      dev.operator.lightning.pki.CertificateAuthority ca) {
    return new Observation(
        cluster,
        EffectiveSpec.of(cluster),
        credentials,
        ca,
        o.blocking(),
        o.pods(),
        o.members(),
        o.view(),
        o.leadership(),
        o.previousLeader(),
        o.activationFollowed(),
        o.campaigned(),
        o.wallet(),
        o.operatorNamespace(),
        o.now());
  }

  static List<String> kinds(List<HasMetadata> objects) {
    List<String> out = new ArrayList<>();
    objects.forEach(o -> out.add(o.getKind() + " " + o.getMetadata().getName()));
    return out;
  }

  @Test
  void aManagedEtcdClusterGetsItsEtcdObjectsBeforeTheServicesAndEveryMember() {
    ClusterPlan plan = ClusterPlan.decide(observe(List.of(), List.of(), List.of(), null));
    assertThat(kinds(plan.objects()))
        .containsExactly(
            "Service c1-etcd",
            "Service c1-etcd-client",
            "PodDisruptionBudget c1-etcd",
            "StatefulSet c1-etcd",
            "Service c1-members",
            "Service c1",
            "PodDisruptionBudget c1-members",
            "NetworkPolicy c1-lnd",
            "NetworkPolicy c1-etcd");
    assertThat(plan.removals()).isEmpty();
    assertThat(plan.lndConfig()).isNotNull();
    assertThat(plan.members()).hasSize(3).allMatch(a -> a instanceof MemberPlan.Create);
    // Without a followed election there is nothing to route, fence or label.
    assertThat(plan.leaderActive()).isNull();
    assertThat(plan.fences()).isEmpty();
    assertThat(plan.roleLabels()).isEmpty();
    assertThat(plan.next()).isEqualTo(ClusterReconciliation.RESYNC_PERIOD);
  }

  @Test
  void aBlockingProblemRendersNoLndConfAndTouchesNoMember() {
    Problem unreachable = new Problem("ChainBackendUnreachable", "btcd refused");
    ClusterPlan plan =
        ClusterPlan.decide(observe(List.of(unreachable), List.of(), List.of(), null));
    assertThat(plan.lndConfig()).isNull();
    assertThat(plan.members()).isEmpty();
    // The Services are still kept: they carry no setting of the member.
    assertThat(kinds(plan.objects())).contains("Service c1");
  }

  @Test
  void networkPoliciesSwitchedOffAreRemovedInsteadOfApplied() {
    Observation o = observe(List.of(), List.of(), List.of(), null);
    o.cluster().getSpec().networkPolicy = new dev.operator.lightning.api.NetworkPolicySpec();
    o.cluster().getSpec().networkPolicy.enabled = false;
    ClusterPlan plan = ClusterPlan.decide(o);
    assertThat(kinds(plan.objects())).noneMatch(k -> k.startsWith("NetworkPolicy"));
    assertThat(kinds(plan.removals()))
        .containsExactly("NetworkPolicy c1-lnd", "NetworkPolicy c1-etcd");
  }

  @Test
  void anExternalEtcdClusterHasNoEtcdNetworkPolicy() {
    Observation o = observe(List.of(), List.of(), List.of(), null);
    LightningCluster external = Clusters.external("ns1", "c1", "etcd.shared.svc:2379");
    external.getMetadata().setUid("uid-1");
    Observation ext = with(o, external, o.credentials(), o.ca());
    assertThat(kinds(ClusterPlan.decide(ext).objects()))
        .contains("NetworkPolicy c1-lnd")
        .doesNotContain("NetworkPolicy c1-etcd");
  }

  @Test
  void withoutTheCaOrTheCredentialsNothingIsRendered() {
    Observation o = observe(List.of(), List.of(), List.of(), null);
    Observation noCa = with(o, o.cluster(), o.credentials(), null);
    Observation noCredentials = with(o, o.cluster(), null, o.ca());
    assertThat(ClusterPlan.decide(noCa).lndConfig()).isNull();
    assertThat(ClusterPlan.decide(noCredentials).lndConfig()).isNull();
    assertThat(ClusterPlan.decide(noCredentials).members()).isEmpty();
  }

  @Test
  void aLeaderReadActiveButNotRoutedIsRoutedNow() {
    List<Pod> pods = List.of(pod("c1-0", Leadership.LEADER), pod("c1-1", Leadership.FOLLOWER));
    List<MemberStatus> members =
        List.of(
            new MemberStatus("c1-0", false, "SERVER_ACTIVE", null),
            new MemberStatus("c1-1", true, "WAITING_TO_START", null));
    ClusterPlan plan =
        ClusterPlan.decide(observe(List.of(), pods, members, led(NOW.toString(), false)));
    assertThat(plan.leaderActive()).isTrue();
    assertThat(plan.routeLeaderSeenActive()).isTrue();
    assertThat(plan.followActivation()).as("an active leader needs no stream").isNull();
    ClusterPlan routed =
        ClusterPlan.decide(observe(List.of(), pods, members, led(NOW.toString(), true)));
    assertThat(routed.routeLeaderSeenActive()).isFalse();
    assertThat(routed.next()).isEqualTo(ClusterReconciliation.RESYNC_PERIOD);
  }

  static Observation withWallet(Observation o, WalletSteps.Facts wallet) {
    return copy(o, o.previousLeader(), wallet);
  }

  @Test
  void aLeaderWithoutAWalletGetsOneFromTheKeptSeedEvenWhileAProblemBlocksLndConf() {
    List<Pod> pods = List.of(pod("c1-0", Leadership.LEADER), pod("c1-1", Leadership.FOLLOWER));
    List<MemberStatus> members =
        List.of(
            new MemberStatus("c1-0", false, WalletSetup.NO_WALLET, null),
            new MemberStatus("c1-1", true, "WAITING_TO_START", null));
    WalletSteps.Facts seedKept =
        new WalletSteps.Facts(WalletSetup.NO_WALLET, false, true, false, true, true);
    Observation o =
        withWallet(
            observe(
                List.of(new Problem("ChainBackendUnreachable", "btcd down")),
                pods,
                members,
                led(NOW.toString(), false)),
            seedKept);
    ClusterPlan plan = ClusterPlan.decide(o);
    assertThat(plan.lndConfig()).as("blocked").isNull();
    assertThat(plan.wallet())
        .as("the wallet is created with the seed an earlier pass kept, and a new root key")
        .isEqualTo(new WalletSteps.Plan(true, WalletSteps.Seed.KEPT, true, true, true));
    assertThat(ClusterPlan.decide(with(o, o.cluster(), null, o.ca())).wallet())
        .as("references unresolved: the password may not be known")
        .isEqualTo(WalletSteps.Plan.NONE);
    assertThat(ClusterPlan.decide(with(o, o.cluster(), o.credentials(), null)).wallet())
        .as("no CA: the admin credentials could not carry it")
        .isEqualTo(WalletSteps.Plan.NONE);
    assertThat(ClusterPlan.decide(withWallet(o, null)).wallet()).isEqualTo(WalletSteps.Plan.NONE);
  }

  @Test
  void walletFactsGatheredForAnotherStateThanTheLeadersDecideNothing() {
    List<Pod> pods = List.of(pod("c1-0", Leadership.LEADER));
    WalletSteps.Facts noWallet =
        new WalletSteps.Facts(WalletSetup.NO_WALLET, false, false, false, true, true);
    // The leader's state read again after a member changed: its wallet was created meanwhile.
    List<MemberStatus> reread = List.of(new MemberStatus("c1-0", false, "UNLOCKED", null));
    ClusterPlan plan =
        ClusterPlan.decide(
            withWallet(observe(List.of(), pods, reread, led(NOW.toString(), false)), noWallet));
    assertThat(plan.wallet())
        .as("no second seed is generated from facts of an earlier read")
        .isEqualTo(WalletSteps.Plan.NONE);
    List<MemberStatus> asGathered =
        List.of(new MemberStatus("c1-0", false, WalletSetup.NO_WALLET, null));
    assertThat(
            ClusterPlan.decide(
                    withWallet(
                        observe(List.of(), pods, asGathered, led(NOW.toString(), false)), noWallet))
                .wallet())
        .isEqualTo(new WalletSteps.Plan(true, WalletSteps.Seed.NEW, true, true, true));
  }

  @Test
  void anActiveLeaderMissingItsAdminMacaroonGetsItMintedAgainAndNoWalletStepOtherwise() {
    List<Pod> pods = List.of(pod("c1-0", Leadership.LEADER));
    List<MemberStatus> active = List.of(new MemberStatus("c1-0", true, "SERVER_ACTIVE", null));
    Observation o = observe(List.of(), pods, active, led(NOW.toString(), true));
    assertThat(
            ClusterPlan.decide(
                    withWallet(
                        o, new WalletSteps.Facts("SERVER_ACTIVE", false, false, true, true, false)))
                .wallet())
        .isEqualTo(new WalletSteps.Plan(false, null, false, true, false));
    assertThat(
            ClusterPlan.decide(
                    withWallet(
                        o,
                        new WalletSteps.Facts("SERVER_ACTIVE", false, false, true, false, false)))
                .wallet())
        .isEqualTo(WalletSteps.Plan.NONE);
    Observation noLeader = withWallet(observe(List.of(), pods, active, null), null);
    assertThat(ClusterPlan.decide(noLeader).wallet()).isEqualTo(WalletSteps.Plan.NONE);
  }

  @Test
  void aNewLeaderNotActiveYetIsLookedAtSoonAndAnOldOneIsNot() {
    List<Pod> pods = List.of(pod("c1-0", Leadership.LEADER));
    List<MemberStatus> members = List.of(new MemberStatus("c1-0", false, "UNLOCKED", null));
    String recent = NOW.minusSeconds(5).toString();
    String old = NOW.minus(ClusterReconciliation.ACTIVATION_WINDOW).minusSeconds(1).toString();
    ClusterPlan fresh = ClusterPlan.decide(observe(List.of(), pods, members, led(recent, false)));
    assertThat(fresh.leaderActive()).isFalse();
    assertThat(fresh.routeLeaderSeenActive()).isFalse();
    assertThat(fresh.next()).isEqualTo(ClusterReconciliation.ACTIVATION_RECHECK);
    assertThat(fresh.followActivation()).as("the leader's state stream").isEqualTo("c1-0");
    ClusterPlan followed =
        ClusterPlan.decide(observe(List.of(), pods, members, led(recent, false), true));
    assertThat(followed.followActivation()).isEqualTo("c1-0");
    assertThat(followed.next())
        .as("with the stream open, polling is only the net")
        .isEqualTo(ClusterReconciliation.ACTIVATION_RECHECK_FOLLOWED);
    ClusterPlan settled = ClusterPlan.decide(observe(List.of(), pods, members, led(old, false)));
    assertThat(settled.followActivation()).isNull();
    assertThat(settled.next()).isEqualTo(ClusterReconciliation.RESYNC_PERIOD);
    assertThat(ClusterPlan.recentlyElected(led("not a time", false), NOW)).isFalse();
  }

  @Test
  void anActiveFollowerIsFencedAndOnlyDifferingRolesAreRelabelled() {
    List<Pod> pods = List.of(pod("c1-0", Leadership.FOLLOWER), pod("c1-1", Leadership.FOLLOWER));
    List<MemberStatus> members =
        List.of(
            new MemberStatus("c1-0", true, "SERVER_ACTIVE", null),
            new MemberStatus("c1-1", true, "RPC_ACTIVE", null));
    ClusterPlan plan =
        ClusterPlan.decide(observe(List.of(), pods, members, led(NOW.toString(), true)));
    assertThat(plan.fences()).containsExactly("c1-1");
    assertThat(plan.roleLabels()).containsExactly(Map.entry("c1-0", Leadership.LEADER));
  }

  @Test
  void aTerminatingPodKeepsItsRoleLabelAndIsNotFenced() {
    Pod going = pod("c1-1", Leadership.LEADER);
    going.getMetadata().setDeletionTimestamp("2026-12-04T11:59:59Z");
    List<Pod> pods = List.of(pod("c1-0", Leadership.LEADER), going);
    List<MemberStatus> members = List.of(new MemberStatus("c1-1", false, "SERVER_ACTIVE", null));
    ClusterPlan plan =
        ClusterPlan.decide(observe(List.of(), pods, members, led(NOW.toString(), true)));
    assertThat(plan.fences()).isEmpty();
    assertThat(plan.roleLabels()).isEmpty();
  }

  @Test
  void aPreviousLeaderWhoseProcessStillRunsIsFencedOnceAndOnlyOnce() {
    Pod previous = pod("c1-1", Leadership.LEADER);
    previous.getMetadata().setUid("u1");
    previous.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .addNewContainerStatus()
            .withName("lnd")
            .withNewState()
            .withNewRunning(NOW.minusSeconds(120).toString())
            .endState()
            .endContainerStatus()
            .build());
    List<Pod> pods = List.of(pod("c1-0", Leadership.FOLLOWER), previous);
    LeaderStatus led =
        new LeaderStatus("c1-1", "c1-1", NOW.minusSeconds(60).toString(), "b2", "u1");
    Observation asleep =
        withPrevious(
            observe(
                List.of(),
                pods,
                List.of(new MemberStatus("c1-1", false, null, null)),
                led(NOW.toString(), true)),
            led);
    assertThat(ClusterPlan.decide(asleep).deposed())
        .as("c1-1 lost the election while the process that led still runs; it does not answer")
        .containsExactly("c1-1");
    Observation awake =
        withPrevious(
            observe(
                List.of(),
                pods,
                List.of(new MemberStatus("c1-1", false, "SERVER_ACTIVE", null)),
                led(NOW.toString(), true)),
            led);
    ClusterPlan plan = ClusterPlan.decide(awake);
    assertThat(plan.fences()).as("it answers active: fenced for that").containsExactly("c1-1");
    assertThat(plan.deposed()).as("and not a second time").isEmpty();
  }

  @Test
  void aFollowerWaitingWithoutAKeyIsRestartedAndOneWithAKeyIsNot() {
    Pod stranded = runningSince(pod("c1-1", Leadership.FOLLOWER), NOW.minusSeconds(300));
    Pod campaigning = runningSince(pod("c1-0", Leadership.LEADER), NOW.minusSeconds(300));
    List<MemberStatus> members =
        List.of(
            new MemberStatus("c1-0", true, "SERVER_ACTIVE", null),
            new MemberStatus("c1-1", false, "WAITING_TO_START", null));
    ClusterPlan plan =
        ClusterPlan.decide(
            observe(List.of(), List.of(campaigning, stranded), members, led(NOW.toString(), true)));
    assertThat(plan.outOfElection())
        .as("only c1-0 holds a key; c1-1 waits without one")
        .containsExactly("c1-1");
    assertThat(plan.fences()).isEmpty();
    assertThat(plan.deposed()).isEmpty();
  }

  @Test
  void aYoungFollowerWithoutAKeyIsLookedAtAgainWhenItsGraceEnds() {
    Pod young = runningSince(pod("c1-1", Leadership.FOLLOWER), NOW.minusSeconds(25));
    Pod campaigning = runningSince(pod("c1-0", Leadership.LEADER), NOW.minusSeconds(300));
    List<MemberStatus> members =
        List.of(
            new MemberStatus("c1-0", true, "SERVER_ACTIVE", null),
            new MemberStatus("c1-1", false, "WAITING_TO_START", null));
    ClusterPlan plan =
        ClusterPlan.decide(
            observe(
                List.of(),
                List.of(campaigning, young),
                members,
                led("2026-01-01T00:00:00Z", true)));
    assertThat(plan.outOfElection()).as("25 s old: within its grace").isEmpty();
    assertThat(plan.next())
        .as("looked at again just after its 30 s grace, not at the 10 s resync")
        .isEqualTo(java.time.Duration.ofMillis(5_100));
  }

  static Pod runningSince(Pod p, Instant started) {
    p.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .addNewContainerStatus()
            .withName("lnd")
            .withNewState()
            .withNewRunning(started.toString())
            .endState()
            .endContainerStatus()
            .build());
    return p;
  }

  static Observation withPrevious(Observation o, LeaderStatus previous) {
    return copy(o, previous, o.wallet());
  }

  static Observation copy(Observation o, LeaderStatus previous, WalletSteps.Facts wallet) {
    return new Observation(
        o.cluster(),
        o.spec(),
        o.credentials(),
        o.ca(),
        o.blocking(),
        o.pods(),
        o.members(),
        o.view(),
        o.leadership(),
        previous,
        o.activationFollowed(),
        o.campaigned(),
        wallet,
        o.operatorNamespace(),
        o.now());
  }
}
