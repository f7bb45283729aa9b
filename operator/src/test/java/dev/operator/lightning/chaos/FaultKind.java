package dev.operator.lightning.chaos;

import dev.operator.lightning.harness.NodeLoss;
import dev.operator.lightning.harness.PodPartition;
import dev.operator.lightning.harness.ProcessPause;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The faults of a campaign. Each injects itself against the current leader (or the etcd it relies
 * on, or the operator) and hands back what heals it; {@link #holdsUntilSuccessor} says whether the
 * fault lasts until another member leads and is routed (a member that cannot be confirmed dead is
 * only replaced at its session's end), or is healed at once; {@link #deposes} whether another
 * member must lead afterwards.
 */
enum FaultKind {
  /** kill -9 of the leader's lnd; its kubelet restarts the container. */
  KILL_LEADER(false, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      t.demo().cluster.nodes().killContainer(leader);
      return () -> {};
    }
  },
  /** Graceful deletion of the leader's pod; the operator creates it again. */
  DELETE_LEADER(false, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      t.demo().client().pods().inNamespace(t.demo().ns).withName(leader).delete();
      return () -> {};
    }
  },
  /** SIGSTOP of the leader's lnd until another member leads and is routed, then SIGCONT. */
  PAUSE_LEADER(true, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      return ProcessPause.of(t.demo().cluster.nodes().pid(leader).orElseThrow());
    }
  },
  /** The leader's pod cut off from etcd only, until another member leads and is routed. */
  CUT_LEADER_FROM_ETCD(true, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      return PodPartition.cut(t.demo().cluster.nodes().netns(leader), t.etcdEndpoints());
    }
  },
  /** The leader's node lost (kubelet silent, its pods isolated) until another member leads. */
  LOSE_LEADER_NODE(true, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      NodeLoss loss = t.demo().cluster.nodes().loseNodeOf(leader);
      return loss;
    }
  },
  /** kill -9 of one etcd member, chosen at random; its kubelet restarts it. */
  KILL_ETCD_MEMBER(false, false) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      List<String> members = t.etcdPods();
      t.demo().cluster.nodes().killContainer(members.get(random.nextInt(members.size())));
      return () -> {};
    }
  },
  /** kill -9 of etcd's raft leader, as its metrics name it; its kubelet restarts it. */
  KILL_ETCD_LEADER(false, false) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      t.demo().cluster.nodes().killContainer(t.etcdLeader());
      return () -> {};
    }
  },
  /** Two of three etcd members frozen for 10 s: no quorum, then quorum again. */
  LOSE_ETCD_QUORUM(false, false) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      List<String> members = new ArrayList<>(t.etcdPods());
      java.util.Collections.shuffle(members, random);
      List<ProcessPause> paused = new ArrayList<>();
      for (String m : members.subList(0, 2)) {
        paused.add(ProcessPause.of(t.demo().cluster.nodes().pid(m).orElseThrow()));
      }
      t.hold(java.time.Duration.ofSeconds(10));
      return () -> paused.forEach(ProcessPause::close);
    }
  },
  /** The operator stopped and started again, whatever it was doing. */
  RESTART_OPERATOR(false, false) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      t.demo().restartOperator();
      return () -> {};
    }
  },
  /**
   * kube-apiserver frozen (SIGSTOP) for 10 s, and the leader's lnd killed meanwhile: nothing can
   * report the end of its process, so its lease stands until the API server is back and its kubelet
   * reports the restart (10 s is within the earliest expiry of a 24 s session, so the key cannot
   * move while routing cannot follow).
   */
  FREEZE_API_SERVER_IN_FAILOVER(false, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      try (ProcessPause frozen = ProcessPause.of(t.demo().cluster.controlPlane().apiServerPid())) {
        t.demo().cluster.nodes().killContainer(leader);
        t.hold(Duration.ofSeconds(10));
      }
      return () -> {};
    }
  },
  /**
   * kube-apiserver stopped (its process ended, etcd kept) and the leader's lnd killed meanwhile:
   * nothing can report the end of its process, so no lease is revoked and its key lasts until its
   * session expires (up to the 24 s TTL); the election moves while routing cannot follow. The API
   * server is started again once another member leads, or TTL + 6 s after the kill, and routing
   * must heal then: the monitor does not count the stale route of the outage, and reports the time
   * from the API server's return to the slice routing the new leader.
   */
  STOP_API_SERVER_IN_FAILOVER(false, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) throws Exception {
      // Read while the API server is still there to answer.
      Duration expiry = Duration.ofSeconds(t.demo().leaderSessionTtlSeconds() + 6L);
      try (AutoCloseable away = t.apiServerAway()) {
        t.demo().cluster.nodes().killContainer(leader);
        t.awaitElectionLeaves(leader, expiry);
      }
      return () -> {};
    }
  },
  /**
   * kill -9 of the leader's lnd, then the operator stopped and started again up to 3 s later (a
   * random point of the failover: before or after it revoked the lease, routed the successor or saw
   * it active).
   */
  RESTART_OPERATOR_IN_FAILOVER(false, true) {
    @Override
    AutoCloseable inject(ChaosTarget t, String leader, Random random) {
      t.demo().cluster.nodes().killContainer(leader);
      t.hold(Duration.ofMillis(random.nextInt(3_000)));
      t.demo().restartOperator();
      return () -> {};
    }
  };

  private final boolean holdsUntilSuccessor;
  private final boolean deposes;

  FaultKind(boolean holdsUntilSuccessor, boolean deposes) {
    this.holdsUntilSuccessor = holdsUntilSuccessor;
    this.deposes = deposes;
  }

  /** Whether another member must lead afterwards: the fault strikes the leader's process. */
  boolean deposes() {
    return deposes;
  }

  boolean holdsUntilSuccessor() {
    return holdsUntilSuccessor;
  }

  abstract AutoCloseable inject(ChaosTarget t, String leader, Random random) throws Exception;
}
