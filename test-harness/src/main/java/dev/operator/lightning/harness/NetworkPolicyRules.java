package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NetworkPolicy ingress semantics for TCP, as a CNI plugin applies them, facts in and rules out: a
 * pod selected by any policy with the Ingress type is isolated, and then takes a connection only
 * when some selecting policy has a rule whose ports and peers both match. Peers are pods (by pod
 * and namespace selectors, as the API defines their combinations) or IP blocks. Egress rules are
 * not enforced; neither is UDP.
 */
public final class NetworkPolicyRules {
  /** A pod as policies see it: where it runs on the pod network and what it carries. */
  public record Member(
      String namespace,
      String name,
      String ip,
      Map<String, String> labels,
      Map<String, Integer> namedPorts) {}

  /**
   * One admitted source: a CIDR and a TCP port (null: every port).
   *
   * @param except CIDRs inside {@code cidr} that stay refused (an IP block's except list)
   */
  public record Allow(String cidr, Integer port, List<String> except) {}

  private final List<NetworkPolicy> policies;
  private final List<Member> members;
  private final Map<String, Map<String, String>> namespaceLabels;

  /**
   * @param namespaceLabels every namespace's labels, by name
   */
  public NetworkPolicyRules(
      List<NetworkPolicy> policies,
      List<Member> members,
      Map<String, Map<String, String>> namespaceLabels) {
    this.policies = List.copyOf(policies);
    this.members = List.copyOf(members);
    this.namespaceLabels = Map.copyOf(namespaceLabels);
  }

  /** Whether any ingress policy selects the pod: only then is anything refused. */
  public boolean isolated(Member pod) {
    return policies.stream().anyMatch(p -> selectsForIngress(p, pod));
  }

  /** What the pod takes, when it is isolated (empty: nothing from other pods). */
  public List<Allow> ingress(Member pod) {
    List<Allow> out = new ArrayList<>();
    for (NetworkPolicy p : policies) {
      if (!selectsForIngress(p, pod) || p.getSpec().getIngress() == null) {
        continue;
      }
      for (NetworkPolicyIngressRule rule : p.getSpec().getIngress()) {
        List<Integer> ports = ports(rule.getPorts(), pod);
        List<Allow> sources = sources(p, rule.getFrom());
        for (Allow source : sources) {
          for (Integer port : ports) {
            out.add(new Allow(source.cidr(), port, source.except()));
          }
        }
      }
    }
    return out;
  }

  /** Whether a TCP connection from {@code sourceIp} to the pod's {@code port} is admitted. */
  public boolean admits(String sourceIp, Member pod, int port) {
    if (!isolated(pod)) {
      return true;
    }
    return ingress(pod).stream()
        .anyMatch(
            a ->
                (a.port() == null || a.port() == port)
                    && Cidr.contains(a.cidr(), sourceIp)
                    && a.except().stream().noneMatch(e -> Cidr.contains(e, sourceIp)));
  }

  private static boolean selectsForIngress(NetworkPolicy p, Member pod) {
    if (!p.getMetadata().getNamespace().equals(pod.namespace())) {
      return false;
    }
    List<String> types = p.getSpec().getPolicyTypes();
    // No types given: Ingress always applies (and Egress only when egress rules are present).
    boolean ingress = types == null || types.isEmpty() || types.contains("Ingress");
    return ingress && matches(p.getSpec().getPodSelector(), pod.labels());
  }

  /** The rule's ports on this pod; a list holding null when the rule names none (every port). */
  private static List<Integer> ports(List<NetworkPolicyPort> ports, Member pod) {
    List<Integer> out = new ArrayList<>();
    if (ports == null || ports.isEmpty()) {
      out.add(null);
      return out;
    }
    for (NetworkPolicyPort port : ports) {
      if (port.getProtocol() != null && !"TCP".equals(port.getProtocol())) {
        continue;
      }
      IntOrString p = port.getPort();
      if (p == null) {
        out.add(null);
      } else if (p.getIntVal() != null) {
        int end = port.getEndPort() == null ? p.getIntVal() : port.getEndPort();
        for (int n = p.getIntVal(); n <= end; n++) {
          out.add(n);
        }
      } else if (pod.namedPorts().containsKey(p.getStrVal())) {
        out.add(pod.namedPorts().get(p.getStrVal()));
      }
    }
    return out;
  }

  private List<Allow> sources(NetworkPolicy p, List<NetworkPolicyPeer> from) {
    List<Allow> out = new ArrayList<>();
    if (from == null || from.isEmpty()) {
      out.add(new Allow("0.0.0.0/0", null, List.of()));
      return out;
    }
    String ns = p.getMetadata().getNamespace();
    for (NetworkPolicyPeer peer : from) {
      if (peer.getIpBlock() != null) {
        List<String> except =
            peer.getIpBlock().getExcept() == null ? List.of() : peer.getIpBlock().getExcept();
        out.add(new Allow(peer.getIpBlock().getCidr(), null, except));
        continue;
      }
      for (Member m : members) {
        if (m.ip() != null && peerMatches(peer, ns, m)) {
          out.add(new Allow(m.ip() + "/32", null, List.of()));
        }
      }
    }
    return out;
  }

  private boolean peerMatches(NetworkPolicyPeer peer, String policyNamespace, Member m) {
    boolean namespaceOk =
        peer.getNamespaceSelector() == null
            ? m.namespace().equals(policyNamespace)
            : matches(
                peer.getNamespaceSelector(), namespaceLabels.getOrDefault(m.namespace(), Map.of()));
    boolean podOk = peer.getPodSelector() == null || matches(peer.getPodSelector(), m.labels());
    return namespaceOk && podOk;
  }

  /** A label selector against labels; an empty selector matches everything. */
  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    Map<String, String> have = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (var e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(have.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String value = have.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean ok =
            switch (r.getOperator()) {
              case "In" -> value != null && values.contains(value);
              case "NotIn" -> value == null || !values.contains(value);
              case "Exists" -> value != null;
              case "DoesNotExist" -> value == null;
              default -> false;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /** IPv4 CIDR membership. */
  static final class Cidr {
    private Cidr() {}

    static boolean contains(String cidr, String ip) {
      String[] parts = cidr.split("/");
      int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : 32;
      long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
      return (toLong(parts[0]) & mask) == (toLong(ip) & mask);
    }

    private static long toLong(String ip) {
      String[] o = ip.split("\\.");
      if (o.length != 4) {
        return -1;
      }
      long v = 0;
      for (String part : o) {
        v = (v << 8) | Integer.parseInt(part);
      }
      return v;
    }
  }
}
