package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/**
 * Keeps etcd's quorum through voluntary disruptions: at least floor(n/2)+1 members stay up. A
 * single-member etcd therefore cannot be drained; that is deliberate (draining it would stop LND).
 */
public final class EtcdDisruptionBudgetBuilder {
  private EtcdDisruptionBudgetBuilder() {}

  public static int quorum(int members) {
    return members / 2 + 1;
  }

  public static PodDisruptionBudget build(LightningCluster cluster, EffectiveSpec spec) {
    Names n = spec.names();
    return DesiredHash.stamp(
        new PodDisruptionBudgetBuilder()
            .withMetadata(
                Owned.meta(cluster, n.etcd(), Labels.component(n.cluster(), Labels.COMPONENT_ETCD)))
            .withNewSpec()
            .withMinAvailable(new IntOrString(quorum(spec.managedEtcd().replicas())))
            .withNewSelector()
            .withMatchLabels(Labels.selector(n.cluster(), Labels.COMPONENT_ETCD))
            .endSelector()
            .endSpec()
            .build());
  }
}
