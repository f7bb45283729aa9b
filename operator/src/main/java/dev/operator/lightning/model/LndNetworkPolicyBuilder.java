package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.util.ArrayList;
import java.util.List;

/**
 * Ingress of the LND members: the Lightning P2P port from anywhere (peers open channels to it);
 * gRPC and REST, which move funds with a macaroon, only from the API clients and the operator.
 */
public final class LndNetworkPolicyBuilder {
  private LndNetworkPolicyBuilder() {}

  public static NetworkPolicy build(
      LightningCluster cluster, EffectiveSpec spec, String operatorNamespace) {
    Names n = spec.names();
    List<NetworkPolicyPeer> api = new ArrayList<>(NetworkPolicies.apiClients(cluster));
    api.add(NetworkPolicies.operator(operatorNamespace));
    return NetworkPolicies.ingress(
        cluster,
        n,
        n.lndNetworkPolicy(),
        Labels.COMPONENT_LND,
        new NetworkPolicyIngressRuleBuilder()
            .withPorts(NetworkPolicies.tcp(MemberPaths.P2P_PORT))
            .build(),
        new NetworkPolicyIngressRuleBuilder()
            .withPorts(
                NetworkPolicies.tcp(MemberPaths.GRPC_PORT),
                NetworkPolicies.tcp(MemberPaths.REST_PORT))
            .withFrom(api)
            .build());
  }
}
