package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.ChainBackend;
import dev.operator.lightning.api.FailoverStatus;
import dev.operator.lightning.api.LeaderStatus;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.api.MemberStatus;
import dev.operator.lightning.api.NodeStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatusAggregatorTest {
  private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
  private static final Instant T1 = Instant.parse("2026-11-27T10:05:00Z");

  static StatusFacts obs(int ready, int desired, Integer etcdReady, List<Problem> problems) {
    return obs(ready, desired, etcdReady, problems, ready > 0 ? led(true) : led(false));
  }

  /** c-0 leads; routed when its pod is ready. */
  static ElectionStep.Outcome led(boolean routed) {
    return new ElectionStep.Outcome(
        true,
        new LeaderStatus("c-0", "c-0", "2026-11-27T09:00:00Z"),
        new FailoverStatus(),
        Map.of("c-0", "leader", "c-1", "follower", "c-2", "follower"),
        routed);
  }

  static StatusFacts obs(
      int ready, int desired, Integer etcdReady, List<Problem> problems, ElectionStep.Outcome e) {
    List<MemberStatus> members =
        java.util.stream.IntStream.range(0, desired)
            .mapToObj(i -> new MemberStatus("c-" + i, i < ready, null, null))
            .toList();
    return obs(members, desired, etcdReady, problems, e, ChainBackend.nochainbackend, null);
  }

  static StatusFacts obs(
      List<MemberStatus> members,
      int desired,
      Integer etcdReady,
      List<Problem> problems,
      ElectionStep.Outcome e,
      ChainBackend backend,
      LeaderNode.Result node) {
    return new StatusFacts(
        4, desired, members, etcdReady, 3, problems, "/p", "e:2379", e, backend, node, null);
  }

  static NodeStatus node(boolean synced, long height) {
    NodeStatus n = new NodeStatus();
    n.identityPubkey = "02ab";
    n.syncedToChain = synced;
    n.blockHeight = height;
    n.activeChannels = 1;
    n.readFrom = "c-0";
    return n;
  }

  static Stream<Arguments> chainSituations() {
    return Stream.of(
        // backend, node read -> ChainSynced status, reason, warning event
        Arguments.of(ChainBackend.nochainbackend, null, "Unknown", "NoChainBackend", false),
        Arguments.of(ChainBackend.btcd, null, "Unknown", "NodeUnread", false),
        Arguments.of(
            ChainBackend.btcd,
            new LeaderNode.Result(node(true, 7), false, null),
            "Unknown",
            "NodeUnread",
            false),
        Arguments.of(
            ChainBackend.btcd,
            new LeaderNode.Result(node(false, 7), true, null),
            "False",
            "Syncing",
            false),
        Arguments.of(
            ChainBackend.neutrino,
            new LeaderNode.Result(node(true, 7), true, null),
            "True",
            "Synced",
            false));
  }

  @Test
  void aPassWithoutANodeReadKeepsTheLastChainSyncedState() {
    var members = List.of(new MemberStatus("c-0", true, "SERVER_ACTIVE", null));
    LightningClusterStatus synced =
        StatusAggregator.decide(
                obs(
                    members,
                    1,
                    3,
                    List.of(),
                    led(true),
                    ChainBackend.btcd,
                    new LeaderNode.Result(node(true, 7), true, null)),
                null,
                T0)
            .status();
    StatusAggregator.Decision unread =
        StatusAggregator.decide(
            obs(
                members,
                1,
                3,
                List.of(),
                led(true),
                ChainBackend.btcd,
                new LeaderNode.Result(synced.node, false, null)),
            synced,
            T0.plusSeconds(10));
    assertThat(cond(unread.status(), "ChainSynced").getReason()).isEqualTo("Synced");
    assertThat(unread.transitions()).noneMatch(t -> t.condition().getType().equals("ChainSynced"));
    assertThat(unread.status()).isEqualTo(synced);
  }

  @ParameterizedTest
  @MethodSource("chainSituations")
  void chainSyncedFollowsTheLeadersNode(
      ChainBackend backend, LeaderNode.Result node, String status, String reason, boolean warning) {
    var members = List.of(new MemberStatus("c-0", true, "SERVER_ACTIVE", null));
    LightningClusterStatus previous =
        StatusAggregator.decide(
                obs(members, 1, 3, List.of(), led(true), ChainBackend.nochainbackend, null),
                null,
                T0)
            .status();
    StatusAggregator.Decision d =
        StatusAggregator.decide(
            obs(members, 1, 3, List.of(), led(true), backend, node), previous, T0);
    Condition c = cond(d.status(), "ChainSynced");
    assertThat(c.getStatus()).isEqualTo(status);
    assertThat(c.getReason()).isEqualTo(reason);
    assertThat(d.transitions())
        .filteredOn(t -> t.condition().getType().equals("ChainSynced"))
        .allMatch(t -> t.warning() == warning);
    assertThat(d.status().node)
        .usingRecursiveComparison()
        .ignoringFields("readAt")
        .isEqualTo(node == null ? null : node.node());
  }

  @Test
  void aNewBlockRewritesTheStatusOnlyFiveMinutesAfterTheLastFigures() {
    var members = List.of(new MemberStatus("c-0", true, "SERVER_ACTIVE", null));
    java.util.function.BiFunction<Long, LightningClusterStatus, StatusFacts> at =
        (height, previous) ->
            obs(
                members,
                1,
                3,
                List.of(),
                led(true),
                ChainBackend.btcd,
                new LeaderNode.Result(node(true, height), true, null));
    LightningClusterStatus first = StatusAggregator.decide(at.apply(7L, null), null, T0).status();

    StatusAggregator.Decision soon =
        StatusAggregator.decide(at.apply(8L, first), first, T0.plusSeconds(60));
    assertThat(soon.status()).as("a block a minute later").isEqualTo(first);

    StatusAggregator.Decision later =
        StatusAggregator.decide(at.apply(9L, first), first, T0.plusSeconds(300));
    assertThat(later.status().node.blockHeight).isEqualTo(9L);
    assertThat(cond(later.status(), "ChainSynced").getMessage()).contains("at block 9");
    assertThat(later.transitions()).as("a new height is no transition").isEmpty();
  }

  static Stream<Arguments> situations() {
    Problem missing = new Problem(Problem.SECRET_NOT_FOUND, "Secret ns/w not found");
    return Stream.of(
        // ready, etcd ready, problems -> phase, Ready, MembersReady, Degraded reason, EtcdAvailable
        Arguments.of(0, 0, List.of(), "Provisioning", "False", "False", "AsExpected", "False"),
        Arguments.of(3, 3, List.of(), "Running", "True", "True", "AsExpected", "True"),
        Arguments.of(1, 2, List.of(), "Degraded", "True", "False", "MembersUnavailable", "True"),
        Arguments.of(0, 3, List.of(missing), "Failed", "False", "False", "SecretNotFound", "True"),
        Arguments.of(3, 3, List.of(missing), "Degraded", "True", "True", "SecretNotFound", "True"),
        Arguments.of(3, 1, List.of(), "Running", "True", "True", "AsExpected", "False"));
  }

  @ParameterizedTest
  @MethodSource("situations")
  void decidesPhaseAndConditions(
      int ready,
      int etcdReady,
      List<Problem> problems,
      String phase,
      String readyCond,
      String membersReady,
      String degradedReason,
      String etcdAvailable) {
    LightningClusterStatus s =
        StatusAggregator.decide(obs(ready, 3, etcdReady, problems), null, T0).status();
    assertThat(s.phase).isEqualTo(phase);
    assertThat(cond(s, "Ready").getStatus()).isEqualTo(readyCond);
    assertThat(cond(s, "MembersReady").getStatus()).isEqualTo(membersReady);
    assertThat(cond(s, "Degraded").getReason()).isEqualTo(degradedReason);
    assertThat(cond(s, "EtcdAvailable").getStatus()).isEqualTo(etcdAvailable);
    assertThat(s.ready).isEqualTo(ready + "/3");
    assertThat(s.observedGeneration).isEqualTo(4);
    assertThat(s.conditions).allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(4));
  }

  @Test
  void unchangedObservationGivesAnEqualStatusKeepingTransitionTimes() {
    StatusFacts o = obs(2, 3, 3, List.of());
    StatusAggregator.Decision first = StatusAggregator.decide(o, null, T0);
    StatusAggregator.Decision second = StatusAggregator.decide(o, first.status(), T1);
    assertThat(second.status()).isEqualTo(first.status());
    assertThat(second.transitions()).isEmpty();
    assertThat(cond(second.status(), "Ready").getLastTransitionTime())
        .isEqualTo("2026-11-27T10:00:00Z");
  }

  @Test
  void aChangedConditionGetsANewTransitionTimeAndAnEvent() {
    StatusAggregator.Decision first = StatusAggregator.decide(obs(2, 3, 3, List.of()), null, T0);
    StatusAggregator.Decision second =
        StatusAggregator.decide(obs(3, 3, 3, List.of()), first.status(), T1);
    assertThat(cond(second.status(), "MembersReady").getLastTransitionTime())
        .isEqualTo("2026-11-27T10:05:00Z");
    assertThat(cond(second.status(), "EtcdAvailable").getLastTransitionTime())
        .isEqualTo("2026-11-27T10:00:00Z");
    assertThat(second.transitions())
        .extracting(t -> t.condition().getType())
        .containsExactlyInAnyOrder("MembersReady", "Degraded");
    assertThat(second.transitions()).noneMatch(StatusAggregator.Transition::warning);
  }

  @Test
  void externalEtcdIsReportedAsNotProbedRatherThanHealthy() {
    StatusFacts o =
        new StatusFacts(
            1,
            1,
            List.of(new MemberStatus("c-0", true, null, null)),
            null,
            0,
            List.of(),
            "/p",
            "etcd.shared:2379",
            led(true),
            ChainBackend.nochainbackend,
            null,
            null);
    Condition c = cond(StatusAggregator.decide(o, null, T0).status(), "EtcdAvailable");
    assertThat(c.getStatus()).isEqualTo("Unknown");
    assertThat(c.getMessage()).contains("etcd.shared:2379");
  }

  @Test
  void leaderAndRolesComeFromTheElectionAndAnUnobservedElectionIsNotReady() {
    LightningClusterStatus s = StatusAggregator.decide(obs(3, 3, 3, List.of()), null, T0).status();
    assertThat(s.leader.pod).isEqualTo("c-0");
    assertThat(s.members).extracting(m -> m.role).containsExactly("leader", "follower", "follower");
    assertThat(cond(s, "LeaderElected").getStatus()).isEqualTo("True");

    ElectionStep.Outcome unobserved = new ElectionStep.Outcome(false, null, null, Map.of(), false);
    LightningClusterStatus u =
        StatusAggregator.decide(obs(3, 3, 3, List.of(), unobserved), null, T0).status();
    assertThat(cond(u, "LeaderElected").getStatus()).isEqualTo("Unknown");
    assertThat(cond(u, "Ready").getReason()).isEqualTo("ElectionUnobserved");
    assertThat(u.phase).isEqualTo("Provisioning");

    ElectionStep.Outcome leaderless =
        new ElectionStep.Outcome(true, null, new FailoverStatus(), Map.of(), false);
    LightningClusterStatus n =
        StatusAggregator.decide(obs(3, 3, 3, List.of(), leaderless), null, T0).status();
    assertThat(cond(n, "LeaderElected").getReason()).isEqualTo("NoLeader");
    assertThat(cond(n, "Ready").getReason()).isEqualTo("NoLeader");
  }

  private static Condition cond(LightningClusterStatus s, String type) {
    return s.conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }
}
