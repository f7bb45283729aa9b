package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

/** The one etcd endpoint LND dials (its leader elector accepts only one): ready members only. */
public final class EtcdClientServiceBuilder {
  private EtcdClientServiceBuilder() {}

  public static Service build(LightningCluster cluster, EffectiveSpec spec) {
    Names n = spec.names();
    return DesiredHash.stamp(
        new ServiceBuilder()
            .withMetadata(
                Owned.meta(
                    cluster,
                    n.etcdClientService(),
                    Labels.component(n.cluster(), Labels.COMPONENT_ETCD)))
            .withNewSpec()
            .withType("ClusterIP")
            .withSelector(Labels.selector(n.cluster(), Labels.COMPONENT_ETCD))
            .addNewPort()
            .withName("client")
            .withPort(EtcdPaths.CLIENT_PORT)
            .endPort()
            .endSpec()
            .build());
  }
}
