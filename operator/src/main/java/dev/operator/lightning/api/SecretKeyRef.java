package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Points at one key of a Secret in the cluster's namespace. */
public class SecretKeyRef {
  @Required
  @Size(min = 1)
  @JsonPropertyDescription("Name of the Secret, in the same namespace as the LightningCluster.")
  public String name;

  @JsonPropertyDescription("Key inside the Secret whose value is used.")
  public String key;

  public SecretKeyRef() {}

  public SecretKeyRef(String name, String key) {
    this.name = name;
    this.key = key;
  }
}
