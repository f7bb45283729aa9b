package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

/** Headless Service over every member, ready or not: stable per-pod DNS names. */
public final class MembersServiceBuilder {
  private MembersServiceBuilder() {}

  public static Service build(LightningCluster cluster, EffectiveSpec spec) {
    Names n = spec.names();
    return DesiredHash.stamp(
        new ServiceBuilder()
            .withMetadata(
                Owned.meta(
                    cluster,
                    n.membersService(),
                    Labels.component(n.cluster(), Labels.COMPONENT_LND)))
            .withNewSpec()
            .withClusterIP("None")
            .withPublishNotReadyAddresses(true)
            .withSelector(Labels.selector(n.cluster(), Labels.COMPONENT_LND))
            .withPorts(LeaderServiceBuilder.ports())
            .endSpec()
            .build());
  }
}
