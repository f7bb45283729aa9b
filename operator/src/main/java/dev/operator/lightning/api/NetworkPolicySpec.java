package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.util.List;

/** The NetworkPolicies the operator writes for the cluster's pods (ingress only). */
public class NetworkPolicySpec {
  @Default("true")
  @JsonPropertyDescription(
      "Whether the operator writes the cluster's NetworkPolicies: the managed etcd's client port"
          + " reachable only from this cluster's members and the operator, its peer port only"
          + " among its own members; LND's P2P port (9735) open; LND's gRPC (10009) and REST"
          + " (8080) ports only from apiClients and the operator. Default true; false deletes"
          + " them. They take effect only where the cluster's network plugin enforces"
          + " NetworkPolicy.")
  public Boolean enabled = true;

  @JsonPropertyDescription(
      "Who may reach LND's gRPC and REST ports besides the operator, as NetworkPolicy peers"
          + " (podSelector, namespaceSelector, ipBlock). Default: every pod of the cluster's"
          + " namespace. An empty list admits only the operator.")
  public List<NetworkPolicyPeer> apiClients;
}
