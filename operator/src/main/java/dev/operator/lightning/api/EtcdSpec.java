package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Where LND keeps its state and elects its leader. */
@ValidationRule(
    value = "has(self.managed) != has(self.external)",
    message = "set exactly one of etcd.managed or etcd.external")
public class EtcdSpec {
  @JsonPropertyDescription("An etcd cluster deployed and secured by the operator.")
  public ManagedEtcdSpec managed;

  @JsonPropertyDescription("An existing etcd cluster, possibly shared with other users.")
  public ExternalEtcdSpec external;
}
