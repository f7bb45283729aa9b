package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/** Voluntary disruptions (drains) take at most one LND member at a time. */
public final class MemberDisruptionBudgetBuilder {
  private MemberDisruptionBudgetBuilder() {}

  public static PodDisruptionBudget build(LightningCluster cluster, EffectiveSpec spec) {
    Names n = spec.names();
    return DesiredHash.stamp(
        new PodDisruptionBudgetBuilder()
            .withMetadata(
                Owned.meta(
                    cluster,
                    n.memberDisruptionBudget(),
                    Labels.component(n.cluster(), Labels.COMPONENT_LND)))
            .withNewSpec()
            .withMaxUnavailable(new IntOrString(1))
            .withNewSelector()
            .withMatchLabels(Labels.selector(n.cluster(), Labels.COMPONENT_LND))
            .endSelector()
            .endSpec()
            .build());
  }
}
