package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Points at a whole Secret; the field holding it names the keys it must contain. */
public class SecretRef {
  @Required
  @Size(min = 1)
  @JsonPropertyDescription("Name of the Secret, in the same namespace as the LightningCluster.")
  public String name;

  public SecretRef() {}

  public SecretRef(String name) {
    this.name = name;
  }
}
