package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.NetworkPolicySpec;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.List;
import java.util.Map;

/**
 * What the cluster's NetworkPolicies share: whether they are wanted, and the operator as a peer.
 */
public final class NetworkPolicies {
  /** The label the chart puts on the operator's pods (its selector), whatever the release. */
  public static final Map<String, String> OPERATOR_POD = Map.of(Labels.NAME, "lightning-operator");

  private NetworkPolicies() {}

  /** Whether the cluster wants its NetworkPolicies (the default). */
  public static boolean enabled(LightningCluster cluster) {
    NetworkPolicySpec p = cluster.getSpec().networkPolicy;
    return p == null || p.enabled == null || p.enabled;
  }

  /**
   * The operator's pods, which read member states and wallet calls over REST and follow the
   * election in etcd: in its own namespace when it knows it, else in any namespace.
   *
   * @param operatorNamespace the namespace the operator runs in; null when it runs outside the
   *     cluster or was not told
   */
  public static NetworkPolicyPeer operator(String operatorNamespace) {
    var namespaces = new LabelSelectorBuilder();
    if (operatorNamespace != null && !operatorNamespace.isBlank()) {
      namespaces.addToMatchLabels("kubernetes.io/metadata.name", operatorNamespace);
    }
    return new NetworkPolicyPeerBuilder()
        .withNamespaceSelector(namespaces.build())
        .withNewPodSelector()
        .withMatchLabels(OPERATOR_POD)
        .endPodSelector()
        .build();
  }

  /** Pods of one component of this cluster, in the cluster's namespace. */
  static NetworkPolicyPeer component(String cluster, String component) {
    return new NetworkPolicyPeerBuilder()
        .withNewPodSelector()
        .withMatchLabels(Labels.selector(cluster, component))
        .endPodSelector()
        .build();
  }

  /** The default API clients: every pod of the cluster's namespace. */
  static List<NetworkPolicyPeer> apiClients(LightningCluster cluster) {
    NetworkPolicySpec p = cluster.getSpec().networkPolicy;
    if (p != null && p.apiClients != null) {
      return p.apiClients;
    }
    return List.of(new NetworkPolicyPeerBuilder().withNewPodSelector().endPodSelector().build());
  }

  /** The ingress policy named {@code name} over one component's pods of the cluster. */
  static NetworkPolicy ingress(
      LightningCluster cluster,
      Names n,
      String name,
      String component,
      NetworkPolicyIngressRule... rules) {
    return DesiredHash.stamp(
        new NetworkPolicyBuilder()
            .withMetadata(Owned.meta(cluster, name, Labels.component(n.cluster(), component)))
            .withNewSpec()
            .withNewPodSelector()
            .withMatchLabels(Labels.selector(n.cluster(), component))
            .endPodSelector()
            .withPolicyTypes("Ingress")
            .withIngress(rules)
            .endSpec()
            .build());
  }

  static NetworkPolicyPort tcp(int port) {
    return new NetworkPolicyPortBuilder().withProtocol("TCP").withNewPort(port).build();
  }
}
