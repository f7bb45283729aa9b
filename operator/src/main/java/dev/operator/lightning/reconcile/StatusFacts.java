package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.MemberStatus;
import java.util.List;

/**
 * Facts gathered in one reconcile, the only input (with the previous status and the time) of the
 * status decision.
 *
 * @param etcdReadyMembers ready managed etcd members; null for an external etcd
 * @param election what the election step found; null when it could not run (no etcd target)
 * @param chainBackend where LND reads the chain from
 * @param node what the active leader's node said, or the previous figures
 * @param database where LND keeps its data
 */
record StatusFacts(
    long generation,
    int desiredMembers,
    List<MemberStatus> members,
    Integer etcdReadyMembers,
    int etcdDesiredMembers,
    List<Problem> problems,
    String electionPrefix,
    String etcdEndpoint,
    ElectionStep.Outcome election,
    dev.operator.lightning.api.ChainBackend chainBackend,
    LeaderNode.Result node,
    dev.operator.lightning.api.DatabaseStatus database) {

  int readyMembers() {
    return (int) members.stream().filter(m -> Boolean.TRUE.equals(m.ready)).count();
  }
}
