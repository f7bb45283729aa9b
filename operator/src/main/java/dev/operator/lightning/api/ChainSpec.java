package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Chain backend selection and its settings. */
@ValidationRule(
    value = "self.backend != 'bitcoind' || has(self.bitcoind)",
    message = "chain.bitcoind is required when chain.backend is bitcoind")
@ValidationRule(
    value = "self.backend == 'bitcoind' || !has(self.bitcoind)",
    message = "chain.bitcoind may only be set when chain.backend is bitcoind")
@ValidationRule(
    value = "self.backend == 'neutrino' || !has(self.neutrino)",
    message = "chain.neutrino may only be set when chain.backend is neutrino")
public class ChainSpec {
  @Required
  @JsonPropertyDescription(
      "bitcoind (a full node over RPC and ZMQ), neutrino (light client) or nochainbackend (no"
          + " chain at all; tests on regtest or simnet only).")
  public ChainBackend backend;

  @JsonPropertyDescription("bitcoind connection; required when backend is bitcoind.")
  public BitcoindSpec bitcoind;

  @JsonPropertyDescription("neutrino settings; optional when backend is neutrino.")
  public NeutrinoSpec neutrino;
}
