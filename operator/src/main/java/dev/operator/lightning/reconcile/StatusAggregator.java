package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.api.NodeStatus;
import dev.operator.lightning.model.EtcdDisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Decides the status from an observation. Pure: the same observation, previous status and time give
 * the same answer, and a condition whose status, reason and message did not change keeps its
 * lastTransitionTime, so an unchanged cluster yields an equal status and no write.
 */
final class StatusAggregator {
  static final String READY = "Ready";
  static final String ETCD_AVAILABLE = "EtcdAvailable";
  static final String MEMBERS_READY = "MembersReady";
  static final String DEGRADED = "Degraded";
  static final String LEADER_ELECTED = "LeaderElected";
  static final String CHAIN_SYNCED = "ChainSynced";

  /** ChainSynced's reason while LND catches up: expected after every start, not a warning. */
  static final String SYNCING = "Syncing";

  static final String PHASE_PROVISIONING = "Provisioning";
  static final String PHASE_RUNNING = "Running";
  static final String PHASE_DEGRADED = "Degraded";
  static final String PHASE_FAILED = "Failed";

  private StatusAggregator() {}

  /** A condition that changed status or reason, for the event stream. */
  record Transition(Condition condition) {
    /** Warnings are for conditions in their unhealthy state. */
    boolean warning() {
      if (DEGRADED.equals(condition.getType())) {
        return "True".equals(condition.getStatus());
      }
      return "False".equals(condition.getStatus()) && !SYNCING.equals(condition.getReason());
    }
  }

  record Decision(LightningClusterStatus status, List<Transition> transitions) {}

  static Decision decide(StatusFacts o, LightningClusterStatus previous, Instant now) {
    int ready = o.readyMembers();
    List<Condition> next = new ArrayList<>();

    if (o.etcdReadyMembers() == null) {
      next.add(
          condition(
              ETCD_AVAILABLE,
              "Unknown",
              "External",
              "external etcd at " + o.etcdEndpoint() + " is not probed by the operator"));
    } else {
      int quorum = EtcdDisruptionBudgetBuilder.quorum(o.etcdDesiredMembers());
      boolean up = o.etcdReadyMembers() >= quorum;
      next.add(
          condition(
              ETCD_AVAILABLE,
              up ? "True" : "False",
              up ? "QuorumReady" : "QuorumNotReady",
              o.etcdReadyMembers()
                  + "/"
                  + o.etcdDesiredMembers()
                  + " etcd members ready, quorum is "
                  + quorum));
    }

    boolean allReady = ready >= o.desiredMembers();
    next.add(
        condition(
            MEMBERS_READY,
            allReady ? "True" : "False",
            allReady ? "AllMembersReady" : "MembersNotReady",
            ready + "/" + o.desiredMembers() + " LND members ready"));

    List<Problem> problems = o.problems();
    if (!problems.isEmpty()) {
      next.add(
          condition(
              DEGRADED,
              "True",
              problems.get(0).reason(),
              problems.stream().map(Problem::message).collect(Collectors.joining("; "))));
    } else if (ready > 0 && !allReady) {
      next.add(
          condition(
              DEGRADED,
              "True",
              "MembersUnavailable",
              (o.desiredMembers() - ready) + " of " + o.desiredMembers() + " members not ready"));
    } else {
      next.add(condition(DEGRADED, "False", "AsExpected", "no problem observed"));
    }

    ElectionStep.Outcome e = o.election();
    boolean observed = e != null && e.observed();
    String leaderId = observed && e.leader() != null ? e.leader().clusterId : null;
    if (!observed) {
      next.add(
          condition(
              LEADER_ELECTED,
              "Unknown",
              "ElectionUnobserved",
              "the operator cannot read the election at " + o.etcdEndpoint() + " yet"));
    } else if (leaderId != null) {
      next.add(condition(LEADER_ELECTED, "True", "Elected", leaderId + " holds the election"));
    } else {
      next.add(condition(LEADER_ELECTED, "False", "NoLeader", "no member holds the election"));
    }

    boolean serving = observed && e.leaderRouted();
    boolean routingFailed =
        problems.stream().anyMatch(p -> Problem.ROUTING_FAILED.equals(p.reason()));
    String notServing =
        !observed
            ? "ElectionUnobserved"
            : leaderId == null
                ? "NoLeader"
                : routingFailed ? Problem.ROUTING_FAILED : "LeaderNotReady";
    next.add(
        condition(
            READY,
            serving ? "True" : "False",
            serving ? "LeaderServing" : notServing,
            serving
                ? leaderId + " is active and the only endpoint of the leader Service"
                : !observed
                    ? "the election is not observed, so nothing new is routed"
                    : leaderId == null
                        ? "no member holds the election"
                        : routingFailed
                            ? "the leader Service's EndpointSlice could not be written to route "
                                + leaderId
                            : "leader " + leaderId + " is not Ready yet"));

    LeaderNode.Result read = o.node();
    boolean nodeRead = read != null && read.readable() && read.node() != null;
    NodeStatus shown =
        nodeRead
            ? NodeFigures.settle(previous == null ? null : previous.node, read.node(), now)
            : read == null ? null : read.node();
    next.add(chainSynced(o, nodeRead ? shown : null, find(previous, CHAIN_SYNCED)));

    String phase;
    String reason;
    if (!problems.isEmpty()) {
      phase = serving ? PHASE_DEGRADED : PHASE_FAILED;
      reason = problems.get(0).message();
    } else if (allReady && serving) {
      phase = PHASE_RUNNING;
      reason = "all " + o.desiredMembers() + " members ready";
    } else if (serving) {
      phase = PHASE_DEGRADED;
      reason = ready + "/" + o.desiredMembers() + " members ready";
    } else {
      phase = PHASE_PROVISIONING;
      reason =
          ready > 0
              ? ready + "/" + o.desiredMembers() + " members ready, waiting for the leader"
              : "waiting for etcd and the first LND member to become active";
    }

    LightningClusterStatus s = new LightningClusterStatus();
    s.observedGeneration = o.generation();
    s.phase = phase;
    s.phaseReason = reason;
    s.members =
        o.members().stream()
            .map(
                m ->
                    new dev.operator.lightning.api.MemberStatus(
                        m.pod,
                        m.ready,
                        m.lndState,
                        observed && e.roles() != null ? e.roles().get(m.pod) : m.role))
            .toList();
    s.readyMembers = ready;
    s.ready = ready + "/" + o.desiredMembers();
    s.electionPrefix = o.electionPrefix();
    s.etcdEndpoint = o.etcdEndpoint();
    s.database = o.database();
    if (e != null) {
      s.leader = e.leader();
      s.failover = e.failover();
    } else if (previous != null) {
      s.leader = previous.leader;
      s.failover = previous.failover;
    }

    if (read != null) {
      s.node = shown;
      s.channelBackup = read.backup();
    }

    List<Transition> transitions = new ArrayList<>();
    String time = now.truncatedTo(ChronoUnit.SECONDS).toString();
    for (Condition c : next) {
      c.setObservedGeneration(o.generation());
      Condition old = find(previous, c.getType());
      boolean sameState =
          old != null
              && Objects.equals(old.getStatus(), c.getStatus())
              && Objects.equals(old.getReason(), c.getReason());
      c.setLastTransitionTime(sameState ? old.getLastTransitionTime() : time);
      if (!sameState) {
        transitions.add(new Transition(c));
      }
    }
    s.conditions = next;
    return new Decision(s, transitions);
  }

  /**
   * From the leader's node when it was read on this pass ({@code n}, as the status shows it, so the
   * message's block height is the status's and changes no more often); otherwise what was last
   * known, since a pass without a read (a failover under way, a slow answer) says nothing new about
   * the chain.
   */
  private static Condition chainSynced(StatusFacts o, NodeStatus n, Condition previous) {
    if (o.chainBackend() == dev.operator.lightning.api.ChainBackend.nochainbackend) {
      return condition(CHAIN_SYNCED, "Unknown", "NoChainBackend", "LND runs without a chain");
    }
    if (n == null && previous != null && !"NoChainBackend".equals(previous.getReason())) {
      return condition(
          CHAIN_SYNCED, previous.getStatus(), previous.getReason(), previous.getMessage());
    }
    if (n == null) {
      return condition(
          CHAIN_SYNCED,
          "Unknown",
          "NodeUnread",
          "the active leader's node has not been read on this pass");
    }
    boolean synced = Boolean.TRUE.equals(n.syncedToChain);
    return condition(
        CHAIN_SYNCED,
        synced ? "True" : "False",
        synced ? "Synced" : SYNCING,
        (synced ? "synced to the chain at block " : "syncing to the chain, at block ")
            + n.blockHeight
            + " on "
            + n.readFrom);
  }

  private static Condition find(LightningClusterStatus status, String type) {
    if (status == null || status.conditions == null) {
      return null;
    }
    return status.conditions.stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  private static Condition condition(String type, String status, String reason, String message) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .build();
  }
}
