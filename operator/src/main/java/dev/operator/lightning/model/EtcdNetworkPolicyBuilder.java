package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;

/**
 * Ingress of the managed etcd, which holds the wallet, the channels and the election: its client
 * port only from this cluster's members and the operator, its peer port only among its own members,
 * its plain-HTTP metrics port (no data, no keys) from anywhere.
 */
public final class EtcdNetworkPolicyBuilder {
  private EtcdNetworkPolicyBuilder() {}

  public static NetworkPolicy build(
      LightningCluster cluster, EffectiveSpec spec, String operatorNamespace) {
    Names n = spec.names();
    return NetworkPolicies.ingress(
        cluster,
        n,
        n.etcdNetworkPolicy(),
        Labels.COMPONENT_ETCD,
        new NetworkPolicyIngressRuleBuilder()
            .withPorts(NetworkPolicies.tcp(EtcdPaths.CLIENT_PORT))
            .withFrom(
                NetworkPolicies.component(n.cluster(), Labels.COMPONENT_LND),
                NetworkPolicies.operator(operatorNamespace))
            .build(),
        new NetworkPolicyIngressRuleBuilder()
            .withPorts(NetworkPolicies.tcp(EtcdPaths.PEER_PORT))
            .withFrom(NetworkPolicies.component(n.cluster(), Labels.COMPONENT_ETCD))
            .build(),
        new NetworkPolicyIngressRuleBuilder()
            .withPorts(NetworkPolicies.tcp(EtcdPaths.METRICS_PORT))
            .build());
  }
}
