package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LeaderStatus;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.MemberStatus;
import dev.operator.lightning.election.ElectionView;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.LndConfig;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;

/**
 * What a pass knows once its leader Service is routed: the only input of {@link ClusterPlan}.
 *
 * @param credentials what lnd.conf needs from the user's Secrets; null while they do not resolve
 * @param ca the cluster's CA; null while it cannot be read or generated
 * @param blocking problems that keep lnd.conf from being rendered (an unresolved reference, a
 *     shared data store, an LND setting that reaches an option the operator owns, an unreachable
 *     chain backend or database): running members are then left as they are
 * @param pods the member pods, as the routing decision saw them
 * @param members each member pod's readiness and LND state as read in this pass
 * @param view the election as routed; null when it is not followed
 * @param leadership what routing decided; null when the election is not followed
 * @param previousLeader the leader the status recorded before this pass, with its pod's uid; null
 *     when none was recorded
 * @param activationFollowed whether a state stream to the leader's LND is open
 * @param campaigned members whose running lnd process this operator saw write an election key
 * @param wallet the leader's state and which wallet Secrets exist, for the wallet step; null when
 *     no wallet step can run (no leader, unresolved references, no CA, or a leader neither without
 *     a wallet nor active)
 * @param operatorNamespace where the operator runs, for the NetworkPolicies that admit it; null
 *     when unknown
 * @param now the time of the pass
 */
record Observation(
    LightningCluster cluster,
    EffectiveSpec spec,
    LndConfig.Credentials credentials,
    CertificateAuthority ca,
    List<Problem> blocking,
    List<Pod> pods,
    List<MemberStatus> members,
    ElectionView view,
    ElectionStep.Outcome leadership,
    LeaderStatus previousLeader,
    boolean activationFollowed,
    java.util.Set<String> campaigned,
    WalletSteps.Facts wallet,
    String operatorNamespace,
    Instant now) {

  /**
   * The same observation with the member states read again after member pods changed, and the
   * wallet facts for the leader's state as read again.
   */
  Observation withMembers(List<MemberStatus> reread, WalletSteps.Facts rereadWallet) {
    return new Observation(
        cluster,
        spec,
        credentials,
        ca,
        blocking,
        pods,
        reread,
        view,
        leadership,
        previousLeader,
        activationFollowed,
        campaigned,
        rereadWallet,
        operatorNamespace,
        now);
  }

  /** The member pod of the election leader, or null when there is none. */
  String leaderPod() {
    return leaderPod(leadership);
  }

  /** The member pod of the leader routing decided on, or null when there is none. */
  static String leaderPod(ElectionStep.Outcome leadership) {
    return leadership != null && leadership.leader() != null ? leadership.leader().pod : null;
  }
}
