package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

/**
 * Headless governing Service of the etcd StatefulSet. It publishes not-ready members, because
 * members must find each other by DNS before any of them can be ready.
 */
public final class EtcdPeerServiceBuilder {
  private EtcdPeerServiceBuilder() {}

  public static Service build(LightningCluster cluster, EffectiveSpec spec) {
    Names n = spec.names();
    return DesiredHash.stamp(
        new ServiceBuilder()
            .withMetadata(
                Owned.meta(
                    cluster,
                    n.etcdPeerService(),
                    Labels.component(n.cluster(), Labels.COMPONENT_ETCD)))
            .withNewSpec()
            .withClusterIP("None")
            .withPublishNotReadyAddresses(true)
            .withSelector(Labels.selector(n.cluster(), Labels.COMPONENT_ETCD))
            .addNewPort()
            .withName("client")
            .withPort(EtcdPaths.CLIENT_PORT)
            .endPort()
            .addNewPort()
            .withName("peer")
            .withPort(EtcdPaths.PEER_PORT)
            .endPort()
            .endSpec()
            .build());
  }
}
