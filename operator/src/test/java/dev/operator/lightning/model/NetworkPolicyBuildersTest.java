package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.NetworkPolicySpec;
import dev.operator.lightning.it.Clusters;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Who may reach which port of a cluster's pods, as the NetworkPolicies say it. */
class NetworkPolicyBuildersTest {
  private static LightningCluster cluster() {
    LightningCluster lc = Clusters.managed("ns1", "c1");
    lc.getMetadata().setUid("uid-1");
    return lc;
  }

  /** The rule that opens {@code port}; fails when none or more than one does. */
  private static NetworkPolicyIngressRule ruleFor(NetworkPolicy p, int port) {
    List<NetworkPolicyIngressRule> rules =
        p.getSpec().getIngress().stream()
            .filter(r -> r.getPorts().stream().anyMatch(x -> x.getPort().getIntVal() == port))
            .toList();
    assertThat(rules).as("rules of %s opening port %d", p.getMetadata().getName(), port).hasSize(1);
    return rules.get(0);
  }

  private static final NetworkPolicyPeer OPERATOR_IN_ITS_NAMESPACE =
      new NetworkPolicyPeerBuilder()
          .withNewNamespaceSelector()
          .withMatchLabels(Map.of("kubernetes.io/metadata.name", "lightning-system"))
          .endNamespaceSelector()
          .withNewPodSelector()
          .withMatchLabels(Map.of("app.kubernetes.io/name", "lightning-operator"))
          .endPodSelector()
          .build();

  private static NetworkPolicyPeer pods(String component) {
    return new NetworkPolicyPeerBuilder()
        .withNewPodSelector()
        .withMatchLabels(
            Map.of(
                "lightning.operator.dev/cluster", "c1", "app.kubernetes.io/component", component))
        .endPodSelector()
        .build();
  }

  @Test
  void etcdClientsAreThisClustersMembersAndTheOperatorAndPeersOnlyItsOwnMembers() {
    LightningCluster c = cluster();
    NetworkPolicy p = EtcdNetworkPolicyBuilder.build(c, EffectiveSpec.of(c), "lightning-system");
    assertThat(p.getMetadata().getName()).isEqualTo("c1-etcd");
    assertThat(p.getMetadata().getOwnerReferences())
        .singleElement()
        .extracting("uid")
        .isEqualTo("uid-1");
    assertThat(p.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(p.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(
            Map.of("lightning.operator.dev/cluster", "c1", "app.kubernetes.io/component", "etcd"));
    assertThat(ruleFor(p, 2379).getFrom()).containsExactly(pods("lnd"), OPERATOR_IN_ITS_NAMESPACE);
    assertThat(ruleFor(p, 2380).getFrom()).containsExactly(pods("etcd"));
    assertThat(ruleFor(p, 2381).getFrom()).as("metrics, open").isEmpty();
    assertThat(p.getSpec().getIngress()).hasSize(3);
  }

  @Test
  void lndPeersReachP2pFromAnywhereAndTheApiOnlyFromTheNamespaceAndTheOperator() {
    LightningCluster c = cluster();
    NetworkPolicy p = LndNetworkPolicyBuilder.build(c, EffectiveSpec.of(c), "lightning-system");
    assertThat(p.getMetadata().getName()).isEqualTo("c1-lnd");
    assertThat(p.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(
            Map.of("lightning.operator.dev/cluster", "c1", "app.kubernetes.io/component", "lnd"));
    assertThat(ruleFor(p, 9735).getFrom()).as("P2P, open").isEmpty();
    NetworkPolicyIngressRule api = ruleFor(p, 10009);
    assertThat(ruleFor(p, 8080)).isSameAs(api);
    NetworkPolicyPeer namespace =
        new NetworkPolicyPeerBuilder().withNewPodSelector().endPodSelector().build();
    assertThat(api.getFrom()).containsExactly(namespace, OPERATOR_IN_ITS_NAMESPACE);
  }

  @Test
  void theUsersApiClientsReplaceTheNamespaceButNeverTheOperator() {
    LightningCluster c = cluster();
    NetworkPolicyPeer payments =
        new NetworkPolicyPeerBuilder()
            .withNewNamespaceSelector()
            .withMatchLabels(Map.of("team", "payments"))
            .endNamespaceSelector()
            .build();
    c.getSpec().networkPolicy = new NetworkPolicySpec();
    c.getSpec().networkPolicy.apiClients = List.of(payments);
    NetworkPolicy p = LndNetworkPolicyBuilder.build(c, EffectiveSpec.of(c), "lightning-system");
    assertThat(ruleFor(p, 10009).getFrom()).containsExactly(payments, OPERATOR_IN_ITS_NAMESPACE);

    c.getSpec().networkPolicy.apiClients = List.of();
    p = LndNetworkPolicyBuilder.build(c, EffectiveSpec.of(c), "lightning-system");
    assertThat(ruleFor(p, 10009).getFrom())
        .as("no API client but the operator")
        .containsExactly(OPERATOR_IN_ITS_NAMESPACE);
  }

  @Test
  void anOperatorOfUnknownNamespaceIsAdmittedByItsPodLabelInAnyNamespace() {
    NetworkPolicyPeer op = NetworkPolicies.operator(null);
    assertThat(op.getNamespaceSelector()).isNotNull();
    assertThat(op.getNamespaceSelector().getMatchLabels()).isNullOrEmpty();
    assertThat(op.getPodSelector().getMatchLabels())
        .isEqualTo(Map.of("app.kubernetes.io/name", "lightning-operator"));
    // Written out, the empty namespace selector must stay: without it the peer would mean the
    // policy's own namespace only, and an operator elsewhere would be shut out.
    assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(op))
        .contains("\"namespaceSelector\":{}");
  }

  @Test
  void policiesAreOnUnlessSwitchedOff() {
    LightningCluster c = cluster();
    assertThat(NetworkPolicies.enabled(c)).isTrue();
    c.getSpec().networkPolicy = new NetworkPolicySpec();
    assertThat(NetworkPolicies.enabled(c)).isTrue();
    c.getSpec().networkPolicy.enabled = false;
    assertThat(NetworkPolicies.enabled(c)).isFalse();
  }
}
