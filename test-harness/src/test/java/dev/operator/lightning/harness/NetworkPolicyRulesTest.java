package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Policy semantics on a namespace shaped like a cluster's: etcd takes its client port from the
 * cluster's LND pods only and its peer port from etcd pods, LND's P2P port is open and its API port
 * takes the namespace's pods; an operator pod in another namespace is admitted by namespace and pod
 * labels together; btcd has no policy.
 */
class NetworkPolicyRulesTest {
  private static final String NS = "app";
  private static final NetworkPolicyRules.Member ETCD =
      member(NS, "c-etcd-0", "10.0.0.1", Map.of("cluster", "c", "component", "etcd"));
  private static final NetworkPolicyRules.Member LND =
      member(NS, "c-0", "10.0.0.2", Map.of("cluster", "c", "component", "lnd"));
  private static final NetworkPolicyRules.Member OTHER_LND =
      member(NS, "d-0", "10.0.0.3", Map.of("cluster", "d", "component", "lnd"));
  private static final NetworkPolicyRules.Member BTCD =
      member(NS, "btcd", "10.0.0.4", Map.of("app", "btcd"));
  private static final NetworkPolicyRules.Member OPERATOR =
      member("ops", "operator", "10.0.0.5", Map.of("name", "lightning-operator"));
  private static final NetworkPolicyRules.Member STRANGER =
      member("ops", "stranger", "10.0.0.6", Map.of("name", "other"));
  private static final NetworkPolicyRules.Member OPERATOR_ELSEWHERE =
      member("elsewhere", "operator", "10.0.0.7", Map.of("name", "lightning-operator"));

  private static final NetworkPolicyRules RULES =
      new NetworkPolicyRules(
          List.of(
              policy(
                  "c-etcd",
                  Map.of("cluster", "c", "component", "etcd"),
                  rule(2379, pods(Map.of("cluster", "c", "component", "lnd")), operatorPeer()),
                  rule(2380, pods(Map.of("cluster", "c", "component", "etcd")))),
              policy(
                  "c-lnd",
                  Map.of("cluster", "c", "component", "lnd"),
                  rule(9735),
                  rule(10009, pods(Map.of()), operatorPeer()))),
          List.of(ETCD, LND, OTHER_LND, BTCD, OPERATOR, STRANGER, OPERATOR_ELSEWHERE),
          Map.of(
              NS,
              Map.of("kubernetes.io/metadata.name", NS),
              "ops",
              Map.of("kubernetes.io/metadata.name", "ops"),
              "elsewhere",
              Map.of("kubernetes.io/metadata.name", "elsewhere")));

  @ParameterizedTest(name = "{0} -> {1}:{2} admitted {3}")
  @CsvSource({
    // The cluster's own LND member reaches etcd; another cluster's member does not.
    "c-0, c-etcd-0, 2379, true",
    "d-0, c-etcd-0, 2379, false",
    "btcd, c-etcd-0, 2379, false",
    // The peer port is for etcd members only, and a port no rule names is closed.
    "c-0, c-etcd-0, 2380, false",
    "c-0, c-etcd-0, 2381, false",
    // The operator, by namespace and pod labels together: not any pod of its namespace, and not
    // a pod with its labels in another namespace.
    "operator@ops, c-etcd-0, 2379, true",
    "stranger@ops, c-etcd-0, 2379, false",
    "operator@elsewhere, c-etcd-0, 2379, false",
    // P2P open to anyone; the API from the namespace and the operator.
    "stranger@ops, c-0, 9735, true",
    "btcd, c-0, 10009, true",
    "stranger@ops, c-0, 10009, false",
    // No policy selects btcd: it takes everything.
    "stranger@ops, btcd, 18556, true",
  })
  void admits(String from, String to, int port, boolean admitted) {
    assertThat(RULES.admits(byName(from).ip(), byName(to), port))
        .as("%s -> %s:%d", from, to, port)
        .isEqualTo(admitted);
  }

  @ParameterizedTest(name = "{0} in {1}: {2}")
  @CsvSource({
    "10.0.0.0/8, 10.1.2.3, true",
    "10.0.0.0/24, 10.0.1.3, false",
    "0.0.0.0/0, 192.168.1.1, true",
    "10.0.0.7/32, 10.0.0.7, true",
    "10.0.0.7/32, 10.0.0.8, false",
  })
  void cidr(String cidr, String ip, boolean inside) {
    assertThat(NetworkPolicyRules.Cidr.contains(cidr, ip)).isEqualTo(inside);
  }

  private static NetworkPolicyRules.Member byName(String ref) {
    String name = ref.contains("@") ? ref.substring(0, ref.indexOf('@')) : ref;
    String ns = ref.contains("@") ? ref.substring(ref.indexOf('@') + 1) : NS;
    return List.of(ETCD, LND, OTHER_LND, BTCD, OPERATOR, STRANGER, OPERATOR_ELSEWHERE).stream()
        .filter(m -> m.name().equals(name) && m.namespace().equals(ns))
        .findFirst()
        .orElseThrow();
  }

  private static NetworkPolicyRules.Member member(
      String ns, String name, String ip, Map<String, String> labels) {
    return new NetworkPolicyRules.Member(ns, name, ip, labels, Map.of());
  }

  private static NetworkPolicyPeer pods(Map<String, String> labels) {
    return new NetworkPolicyPeerBuilder()
        .withNewPodSelector()
        .withMatchLabels(labels)
        .endPodSelector()
        .build();
  }

  private static NetworkPolicyPeer operatorPeer() {
    return new NetworkPolicyPeerBuilder()
        .withNewNamespaceSelector()
        .withMatchLabels(Map.of("kubernetes.io/metadata.name", "ops"))
        .endNamespaceSelector()
        .withNewPodSelector()
        .withMatchLabels(Map.of("name", "lightning-operator"))
        .endPodSelector()
        .build();
  }

  private static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule rule(
      int port, NetworkPolicyPeer... from) {
    return new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder()
        .addNewPort()
        .withProtocol("TCP")
        .withNewPort(port)
        .endPort()
        .withFrom(from)
        .build();
  }

  private static NetworkPolicy policy(
      String name,
      Map<String, String> selector,
      io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule... rules) {
    return new NetworkPolicyBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withNewPodSelector()
        .withMatchLabels(selector)
        .endPodSelector()
        .withPolicyTypes("Ingress")
        .withIngress(rules)
        .endSpec()
        .build();
  }
}
