package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** neutrino light-client settings. */
public class NeutrinoSpec {
  @JsonPropertyDescription(
      "Peers to connect to exclusively (neutrino.connect), host[:port]. Empty: discover peers.")
  public List<String> connect;

  @JsonPropertyDescription("Fee estimation URL (fee.url); neutrino on mainnet needs one.")
  public String feeUrl;
}
