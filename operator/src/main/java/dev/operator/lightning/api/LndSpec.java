package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Pass-through LND settings for everything the operator does not model. */
public class LndSpec {
  @JsonPropertyDescription(
      "Extra lnd.conf lines appended after the operator's own (for example alias=..., or a"
          + " [protocol] section). Options the operator sets (db.*, cluster.*, listeners, TLS,"
          + " wallet unlock) must not be repeated here.")
  public String config;

  @Size(max = 64)
  @ValidationRule(
      value =
          "self.all(a, !a.startsWith('--db.') && !a.startsWith('--cluster.') &&"
              + " !a.startsWith('--wallet-unlock'))",
      message =
          "lnd.extraArgs must not set --db.*, --cluster.* or --wallet-unlock* options: the"
              + " operator owns them")
  @JsonPropertyDescription(
      "Extra LND command-line arguments. Never put secrets here: arguments are visible in the"
          + " pod spec.")
  public List<String> extraArgs;
}
