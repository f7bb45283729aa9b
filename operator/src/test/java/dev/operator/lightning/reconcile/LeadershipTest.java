package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.FailoverRecord;
import dev.operator.lightning.election.Candidate;
import dev.operator.lightning.election.ElectionView;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The routing, revocation and fencing decisions on tables of situations. */
class LeadershipTest {
  static final Candidate LEADER = new Candidate("/p/a1", 10, 0xa1, "c-0");
  static final Candidate FOLLOWER = new Candidate("/p/b2", 11, 0xb2, "c-1");
  static final Candidate NEW_INCARNATION = new Candidate("/p/c3", 12, 0xc3, "c-0");

  static ElectionView view(Candidate... cs) {
    return new ElectionView(true, List.of(cs), 20, 10, Instant.EPOCH);
  }

  static Pod pod(String name, String uid, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withUid(uid)
        .withNamespace("ns")
        .endMetadata()
        .withNewSpec()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP("198.51.100.1")
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .addToContainerStatuses(
            new ContainerStatusBuilder()
                .withName("lnd")
                .withState(
                    new ContainerStateBuilder().withNewRunning("2026-11-27T10:00:00Z").build())
                .build())
        .endStatus()
        .build();
  }

  static Pod with(Pod p, UnaryOperator<PodBuilder> change) {
    return change.apply(new PodBuilder(p)).build();
  }

  /** Killed and restarted once, then killed again: the kubelet holds it back before restarting. */
  static Pod backingOff(Pod p) {
    return with(
        restarted(p),
        b ->
            b.editStatus()
                .editContainerStatus(0)
                .withState(
                    new ContainerStateBuilder()
                        .withNewWaiting()
                        .withReason("CrashLoopBackOff")
                        .endWaiting()
                        .build())
                .endContainerStatus()
                .endStatus());
  }

  static Pod restarted(Pod p) {
    return with(
        p,
        b ->
            b.editStatus()
                .editContainerStatus(0)
                .withRestartCount(1)
                .withLastState(
                    new ContainerStateBuilder()
                        .withNewTerminated()
                        .withExitCode(137)
                        .withFinishedAt("2026-11-27T10:01:00Z")
                        .endTerminated()
                        .build())
                .endContainerStatus()
                .endStatus());
  }

  static Stream<Arguments> deathCases() {
    Pod alive = pod("c-0", "u0", true);
    return Stream.of(
        // situation, view, leader pod (null = gone), remembered uid, last seen terminated ->
        // revoke?
        Arguments.of("running leader", view(LEADER, FOLLOWER), alive, "u0", false, false),
        Arguments.of(
            "node unreachable: phase Unknown, process may run",
            view(LEADER, FOLLOWER),
            with(alive, b -> b.editStatus().withPhase("Unknown").endStatus()),
            "u0",
            false,
            false),
        Arguments.of(
            "being deleted gracefully: LND resigns by itself",
            view(LEADER, FOLLOWER),
            with(
                alive,
                b -> b.editMetadata().withDeletionTimestamp("2026-11-27T10:02:00Z").endMetadata()),
            "u0",
            false,
            false),
        Arguments.of(
            "restarted but the new process has not campaigned yet",
            view(LEADER, FOLLOWER),
            restarted(alive),
            "u0",
            false,
            false),
        Arguments.of(
            "terminated and waiting out a crash loop's back-off: nothing of it runs",
            view(LEADER, FOLLOWER),
            backingOff(alive),
            "u0",
            false,
            true),
        Arguments.of(
            "waiting to be created, never terminated: not a dead leader's pod",
            view(LEADER, FOLLOWER),
            with(
                alive,
                b ->
                    b.editStatus()
                        .editContainerStatus(0)
                        .withState(
                            new ContainerStateBuilder()
                                .withNewWaiting()
                                .withReason("ContainerCreating")
                                .endWaiting()
                                .build())
                        .endContainerStatus()
                        .endStatus()),
            "u0",
            false,
            false),
        Arguments.of(
            "pod gone after it was seen terminated",
            view(LEADER, FOLLOWER),
            null,
            "u0",
            true,
            true),
        Arguments.of(
            "pod gone while last seen running (a forced deletion: the process may still run)",
            view(LEADER, FOLLOWER),
            null,
            "u0",
            false,
            false),
        Arguments.of(
            "no pod of that name and never seen campaigning: another cluster's leader on a shared"
                + " prefix, never revoked",
            view(LEADER, FOLLOWER),
            null,
            null,
            false,
            false),
        Arguments.of(
            "another cluster's leader holds the prefix (its cluster.id matches no pod here)",
            view(new Candidate("/p/f0", 5, 0xf0, "other-0"), LEADER),
            null,
            null,
            false,
            false),
        Arguments.of(
            "pod failed",
            view(LEADER),
            with(alive, b -> b.editStatus().withPhase("Failed").endStatus()),
            "u0",
            false,
            true),
        Arguments.of(
            "container terminated",
            view(LEADER),
            with(
                alive,
                b ->
                    b.editStatus()
                        .editContainerStatus(0)
                        .withState(
                            new ContainerStateBuilder()
                                .withNewTerminated()
                                .withExitCode(1)
                                .endTerminated()
                                .build())
                        .endContainerStatus()
                        .endStatus()),
            "u0",
            false,
            true),
        Arguments.of(
            "container restarted and campaigned again",
            view(LEADER, FOLLOWER, NEW_INCARNATION),
            restarted(alive),
            "u0",
            false,
            true),
        Arguments.of(
            "pod replaced under the same name after it was seen terminated",
            view(LEADER, FOLLOWER, NEW_INCARNATION),
            pod("c-0", "u9", false),
            "u0",
            true,
            true),
        Arguments.of(
            "pod replaced under the same name while last seen running (forced deletion)",
            view(LEADER, FOLLOWER, NEW_INCARNATION),
            pod("c-0", "u9", false),
            "u0",
            false,
            false),
        Arguments.of(
            "same name, uid never seen (operator restarted): not confirmed",
            view(LEADER, FOLLOWER, NEW_INCARNATION),
            pod("c-0", "u9", false),
            null,
            false,
            false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deathCases")
  void revokesOnlyWhenKubernetesConfirmsTheLeaderProcessIsGone(
      String situation,
      ElectionView view,
      Pod leaderPod,
      String knownUid,
      boolean seenTerminated,
      boolean revoke) {
    List<Pod> pods =
        leaderPod == null
            ? List.of(pod("c-1", "u1", false))
            : List.of(leaderPod, pod("c-1", "u1", false));
    Optional<Leadership.Revocation> r =
        Leadership.decide(view, pods, knownUid, seenTerminated).revocation();
    assertThat(r.isPresent()).as(situation).isEqualTo(revoke);
    r.ifPresent(x -> assertThat(x.leaseId()).isEqualTo(LEADER.leaseId()));
  }

  @Test
  void aLeaderKeyOfNoPodOfThisClusterIsAProblemAndRoutesNothing() {
    Candidate foreign = new Candidate("/p/f0", 5, 0xf0, "other-0");
    Leadership.Decision d =
        Leadership.decide(view(foreign, LEADER), List.of(pod("c-0", "u0", true)), null, false);
    assertThat(d.routes()).contains(List.of());
    assertThat(d.revocation()).isEmpty();
    assertThat(d.unattributed())
        .hasValueSatisfying(
            p -> {
              assertThat(p.reason()).isEqualTo(Problem.UNATTRIBUTED_LEADER);
              assertThat(p.message()).contains("other-0", "lease f0", "never revoked");
            });
    assertThat(
            Leadership.decide(view(LEADER), List.of(pod("c-0", "u0", true)), "u0", false)
                .unattributed())
        .as("the cluster's own leader")
        .isEmpty();
  }

  @Test
  void routesExactlyTheLeaderPodReadyOnlyWhenItIsReady() {
    List<Pod> pods = List.of(pod("c-0", "u0", false), pod("c-1", "u1", true));
    Leadership.Decision d = Leadership.decide(view(LEADER, FOLLOWER), pods, "u0", false);
    assertThat(d.routes()).isPresent();
    assertThat(d.routes().get())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.pod().getMetadata().getName()).isEqualTo("c-0");
              assertThat(r.ready()).isFalse();
            });
    assertThat(d.roles()).containsEntry("c-0", "leader").containsEntry("c-1", "follower");
  }

  @Test
  void aLeaderTheOperatorSawActiveIsRoutedReadyBeforeItsProbePasses() {
    List<Pod> pods = List.of(pod("c-0", "u0", false), pod("c-1", "u1", false));
    assertThat(routedReady(Leadership.decide(view(LEADER, FOLLOWER), pods, "u0", false, "c-0")))
        .as("leader seen active")
        .isTrue();
    assertThat(routedReady(Leadership.decide(view(LEADER, FOLLOWER), pods, "u0", false, "c-1")))
        .as("a follower seen active does not make the leader ready")
        .isFalse();
    List<Pod> leaving =
        List.of(
            with(
                pod("c-0", "u0", false),
                b -> b.editMetadata().withDeletionTimestamp("x").endMetadata()),
            pod("c-1", "u1", false));
    assertThat(routedReady(Leadership.decide(view(LEADER, FOLLOWER), leaving, "u0", false, "c-0")))
        .as("a terminating leader is never routed ready")
        .isFalse();
  }

  static Pod terminatedButStillReady(Pod p) {
    return with(
        p,
        b ->
            b.editStatus()
                .editContainerStatus(0)
                .withState(
                    new ContainerStateBuilder()
                        .withNewTerminated()
                        .withExitCode(137)
                        .endTerminated()
                        .build())
                .endContainerStatus()
                .endStatus());
  }

  @Test
  void aLeaderWhoseProcessEndedIsUnroutedInThePassThatSeesItWhateverItsReadinessSaid() {
    // The Ready condition and the operator's last state read both predate the end of the process.
    Pod ended = terminatedButStillReady(pod("c-0", "u0", true));
    List<Pod> pods = List.of(ended, pod("c-1", "u1", false));
    assertThat(routedReady(Leadership.decide(view(LEADER, FOLLOWER), pods, "u0", false, "c-0")))
        .as("terminated container, Ready still True, seen active a moment ago")
        .isFalse();
    // Restarted and campaigning again: the leader key is the dead process's; the pod now runs a
    // follower, whatever an earlier readiness said.
    List<Pod> again = List.of(restarted(pod("c-0", "u0", true)), pod("c-1", "u1", false));
    Leadership.Decision d =
        Leadership.decide(view(LEADER, FOLLOWER, NEW_INCARNATION), again, "u0", false, "c-0");
    assertThat(d.revocation()).isPresent();
    assertThat(routedReady(d)).as("restarted leader, key of the old process").isFalse();
    // A restart whose new process has not campaigned yet proves nothing about the key: it keeps
    // what its readiness says (the kubelet turns it not ready until the probe passes again).
    List<Pod> quiet = List.of(restarted(pod("c-0", "u0", true)), pod("c-1", "u1", false));
    assertThat(routedReady(Leadership.decide(view(LEADER, FOLLOWER), quiet, "u0", false, null)))
        .isTrue();
    assertThat(
            routedReady(
                Leadership.decide(
                    view(LEADER, FOLLOWER),
                    List.of(pod("c-0", "u0", true), pod("c-1", "u1", false)),
                    "u0",
                    false,
                    null)))
        .as("a running, ready leader")
        .isTrue();
  }

  @Test
  void aStateReadBelongsToTheProcessThatAnsweredIt() {
    Pod running =
        with(
            pod("c-0", "u0", true),
            b ->
                b.editStatus()
                    .editContainerStatus(0)
                    .withContainerID("containerd://a")
                    .withRestartCount(0)
                    .endContainerStatus()
                    .endStatus());
    String before = Leadership.runningLndProcess(running);
    assertThat(before).as("a running container").isNotNull();
    Pod afterRestart =
        with(
            restarted(running),
            b ->
                b.editStatus()
                    .editContainerStatus(0)
                    .withContainerID("containerd://b")
                    .endContainerStatus()
                    .endStatus());
    assertThat(Leadership.runningLndProcess(afterRestart))
        .as("a restarted container")
        .isNotNull()
        .isNotEqualTo(before);
    // Some runtimes keep the id across restarts: the restart count still tells them apart.
    assertThat(Leadership.runningLndProcess(restarted(running))).isNotEqualTo(before);
    assertThat(Leadership.runningLndProcess(terminatedButStillReady(running)))
        .as("no running process")
        .isNull();
  }

  @Test
  void onlyTheServingStatesAreActiveAndAnUnreadStateIsNot() {
    assertThat(Leadership.isActive("RPC_ACTIVE")).isTrue();
    assertThat(Leadership.isActive("SERVER_ACTIVE")).isTrue();
    assertThat(Leadership.isActive("WAITING_TO_START")).isFalse();
    assertThat(Leadership.isActive("NON_EXISTING")).isFalse();
    assertThat(Leadership.isActive(null)).as("state not read").isFalse();
  }

  private static boolean routedReady(Leadership.Decision d) {
    return d.routes().orElseThrow().stream().anyMatch(Leadership.Route::ready);
  }

  @Test
  void noLeaderRoutesNothingAndAnUnobservedElectionChangesNothing() {
    List<Pod> pods = List.of(pod("c-0", "u0", true));
    assertThat(Leadership.decide(view(), pods, null, false).routes()).contains(List.of());
    Leadership.Decision blind = Leadership.decide(ElectionView.unsynced(), pods, null, false);
    assertThat(blind.routes()).isEmpty();
    assertThat(blind.revocation()).isEmpty();
    assertThat(
            Leadership.fenceCandidates(
                ElectionView.unsynced(), pods, Map.of("c-0", "SERVER_ACTIVE")))
        .isEmpty();
  }

  @Test
  void fencesActiveNonLeadersOnly() {
    List<Pod> pods =
        List.of(
            pod("c-0", "u0", true),
            pod("c-1", "u1", true),
            pod("c-2", "u2", false),
            with(
                pod("c-3", "u3", true),
                b -> b.editMetadata().withDeletionTimestamp("x").endMetadata()));
    Map<String, String> states =
        Map.of(
            "c-0",
            "SERVER_ACTIVE",
            "c-1",
            "RPC_ACTIVE",
            "c-2",
            "WAITING_TO_START",
            "c-3",
            "SERVER_ACTIVE");
    assertThat(Leadership.fenceCandidates(view(LEADER, FOLLOWER), pods, states))
        .containsExactly("c-1");
  }

  @Test
  void theFailoverCauseNamesARevocationAResignationOrAnExpiry() {
    Pod running = pod("c-0", "u1", true);
    Pod deleting = pod("c-0", "u1", true);
    deleting.getMetadata().setDeletionTimestamp("2026-12-04T00:00:00Z");
    Pod replacement = pod("c-0", "u2", false);
    assertThat(Leadership.failoverCause(true, running, "u1"))
        .isEqualTo(FailoverRecord.LEASE_REVOKED);
    // Gone, being deleted or replaced by a new pod: its process ended its campaign.
    assertThat(Leadership.failoverCause(false, null, "u1")).isEqualTo(FailoverRecord.RESIGNED);
    assertThat(Leadership.failoverCause(false, deleting, "u1")).isEqualTo(FailoverRecord.RESIGNED);
    assertThat(Leadership.failoverCause(false, replacement, "u1"))
        .isEqualTo(FailoverRecord.RESIGNED);
    // Still there, same pod: its session ran out (cut off, paused, or etcd lost it).
    assertThat(Leadership.failoverCause(false, running, "u1"))
        .isEqualTo(FailoverRecord.LEASE_EXPIRED);
    assertThat(Leadership.failoverCause(false, running, null))
        .isEqualTo(FailoverRecord.LEASE_EXPIRED);
  }

  /** c-0 led from 10:00:30 in pod uid u0, whose lnd process started at 10:00:00. */
  static final dev.operator.lightning.api.LeaderStatus C0_LED =
      new dev.operator.lightning.api.LeaderStatus("c-0", "c-0", "2026-11-27T10:00:30Z", "a1", "u0");

  static Stream<Arguments> deposedCases() {
    Pod running = pod("c-0", "u0", false);
    Pod startedLater =
        with(
            running,
            b ->
                b.editStatus()
                    .editContainerStatus(0)
                    .withState(
                        new ContainerStateBuilder().withNewRunning("2026-11-27T10:00:31Z").build())
                    .endContainerStatus()
                    .endStatus());
    Pod waiting =
        with(
            running,
            b ->
                b.editStatus()
                    .editContainerStatus(0)
                    .withState(
                        new ContainerStateBuilder()
                            .withNewWaiting()
                            .withReason("CrashLoopBackOff")
                            .endWaiting()
                            .build())
                    .endContainerStatus()
                    .endStatus());
    Pod deleting =
        with(
            running,
            b -> b.editMetadata().withDeletionTimestamp("2026-11-27T10:01:00Z").endMetadata());
    Pod replaced = pod("c-0", "u9", false);
    ElectionView unsynced = new ElectionView(false, List.of(FOLLOWER), 20, 10, Instant.EPOCH);
    return Stream.of(
        Arguments.of(
            "the key moved, the process that led still runs",
            view(FOLLOWER),
            C0_LED,
            running,
            true),
        Arguments.of(
            "nobody leads yet, the process that led still runs", view(), C0_LED, running, true),
        Arguments.of("it still leads", view(LEADER, FOLLOWER), C0_LED, running, false),
        Arguments.of(
            "its new process campaigns again and leads",
            view(NEW_INCARNATION, FOLLOWER),
            C0_LED,
            running,
            false),
        Arguments.of("the election is not observed", unsynced, C0_LED, running, false),
        Arguments.of(
            "its process restarted after it began to lead",
            view(FOLLOWER),
            C0_LED,
            startedLater,
            false),
        Arguments.of("its container is not running", view(FOLLOWER), C0_LED, waiting, false),
        Arguments.of("its pod is being deleted already", view(FOLLOWER), C0_LED, deleting, false),
        Arguments.of("its pod was replaced by a new one", view(FOLLOWER), C0_LED, replaced, false),
        Arguments.of(
            "the status does not know its pod",
            view(FOLLOWER),
            new dev.operator.lightning.api.LeaderStatus("c-0", "c-0", "2026-11-27T10:00:30Z"),
            running,
            false),
        Arguments.of("no leader was recorded", view(FOLLOWER), null, running, false),
        Arguments.of(
            "its leadership's start cannot be read",
            view(FOLLOWER),
            new dev.operator.lightning.api.LeaderStatus("c-0", "c-0", "yesterday", "a1", "u0"),
            running,
            false));
  }

  /**
   * The previous leader is fenced when the election moved on while the very process that led still
   * runs (frozen, cut off, or on a lost node), and never when that process already ended or a new
   * one took its place.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("deposedCases")
  void aPreviousLeaderIsFencedOnlyWhileTheProcessThatLedStillRuns(
      String situation,
      ElectionView now,
      dev.operator.lightning.api.LeaderStatus previous,
      Pod pod,
      boolean fenced) {
    assertThat(Leadership.deposedStillRunning(now, previous, List.of(pod, pod("c-1", "u1", true))))
        .as(situation)
        .isEqualTo(fenced ? java.util.Optional.of("c-0") : java.util.Optional.empty());
  }

  static final Instant LATER = Instant.parse("2026-11-27T10:00:31Z");

  static Stream<Arguments> outOfElectionCases() {
    Pod follower = pod("c-1", "u1", false);
    Pod deleting =
        with(
            follower,
            b -> b.editMetadata().withDeletionTimestamp("2026-11-27T10:01:00Z").endMetadata());
    Pod unreadableStart =
        with(
            follower,
            b ->
                b.editStatus()
                    .editContainerStatus(0)
                    .withState(new ContainerStateBuilder().withNewRunning("soon").build())
                    .endContainerStatus()
                    .endStatus());
    ElectionView unsynced = new ElectionView(false, List.of(LEADER), 20, 10, Instant.EPOCH);
    Instant graceOver = Instant.parse("2026-11-27T10:00:00Z").plus(Leadership.CAMPAIGN_GRACE);
    return Stream.of(
        Arguments.of(
            "it waits and holds no key", view(LEADER), follower, "WAITING_TO_START", LATER, true),
        Arguments.of(
            "nobody holds a key and it waits", view(), follower, "WAITING_TO_START", LATER, true),
        Arguments.of(
            "its grace has just run out",
            view(LEADER),
            follower,
            "WAITING_TO_START",
            graceOver,
            true),
        Arguments.of(
            "it holds its key", view(LEADER, FOLLOWER), follower, "WAITING_TO_START", LATER, false),
        Arguments.of(
            "its process started within the grace and may not have campaigned yet",
            view(LEADER),
            follower,
            "WAITING_TO_START",
            graceOver.minusMillis(1),
            false),
        Arguments.of(
            "it is active: fencing, not this, answers that",
            view(LEADER),
            follower,
            "SERVER_ACTIVE",
            LATER,
            false),
        Arguments.of("its state could not be read", view(LEADER), follower, null, LATER, false),
        Arguments.of(
            "the election is not observed", unsynced, follower, "WAITING_TO_START", LATER, false),
        Arguments.of(
            "its pod is being deleted already",
            view(LEADER),
            deleting,
            "WAITING_TO_START",
            LATER,
            false),
        Arguments.of(
            "its container's start cannot be read",
            view(LEADER),
            unreadableStart,
            "WAITING_TO_START",
            LATER,
            false));
  }

  /**
   * A follower whose session ended while its connection to etcd hung waits without a key: it is
   * restarted, since etcd's election would let it start as a leader once that connection returns.
   * Nobody else is: a member with a key, a starting one, one that is active or unread.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("outOfElectionCases")
  void aFollowerWaitingWithoutAKeyIsOutOfTheElection(
      String situation,
      ElectionView view,
      Pod follower,
      String state,
      Instant now,
      boolean restarted) {
    java.util.Map<String, String> states = new java.util.HashMap<>();
    states.put("c-0", "SERVER_ACTIVE");
    states.put("c-1", state);
    assertThat(
            Leadership.outOfElection(
                view, List.of(pod("c-0", "u0", true), follower), states, Set.of(), now))
        .as(situation)
        .isEqualTo(restarted ? List.of("c-1") : List.of());
  }

  @Test
  void aFollowerSeenCampaigningIsOutOfTheElectionTheMomentItsKeyGoesWhateverItsAge() {
    Pod follower = pod("c-1", "u1", false);
    Map<String, String> states = Map.of("c-0", "SERVER_ACTIVE", "c-1", "WAITING_TO_START");
    Instant early = Instant.parse("2026-11-27T10:00:05Z");
    assertThat(
            Leadership.outOfElection(
                view(LEADER), List.of(pod("c-0", "u0", true), follower), states, Set.of(), early))
        .as("5 s old and never seen campaigning: it may not have written its key yet")
        .isEmpty();
    assertThat(
            Leadership.outOfElection(
                view(LEADER),
                List.of(pod("c-0", "u0", true), follower),
                states,
                Set.of("c-1"),
                early))
        .as("5 s old, seen with a key of its own, now without one")
        .containsExactly("c-1");
  }

  @Test
  void aProcessCampaignsOnlyByAKeyWrittenAfterTheOperatorFirstSawItRun() {
    ElectionView before = new ElectionView(true, List.of(LEADER, FOLLOWER), 20, 10, Instant.EPOCH);
    // First seen at revision 20: the key of c-1 (created at 11) may be a previous process's.
    Leadership.Sighting first = Leadership.sight(null, "docker://a#0", before, "c-1");
    assertThat(first).isEqualTo(new Leadership.Sighting("docker://a#0", 20, false));
    Candidate written = new Candidate("/p/d4", 21, 0xd4, "c-1");
    ElectionView after = new ElectionView(true, List.of(LEADER, written), 22, 10, Instant.EPOCH);
    Leadership.Sighting campaigning = Leadership.sight(first, "docker://a#0", after, "c-1");
    assertThat(campaigning.campaigned()).as("a key created after revision 20").isTrue();
    assertThat(Leadership.sight(campaigning, "docker://a#0", view(LEADER), "c-1").campaigned())
        .as("still the same process once its key is gone")
        .isTrue();
    assertThat(Leadership.sight(campaigning, "docker://a#1", after, "c-1"))
        .as("a restarted process is sighted anew")
        .isEqualTo(new Leadership.Sighting("docker://a#1", 22, false));
    assertThat(Leadership.sight(campaigning, null, after, "c-1")).as("nothing runs").isNull();
  }
}
