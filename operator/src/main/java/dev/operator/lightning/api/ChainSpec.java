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
    value = "self.backend != 'btcd' || has(self.btcd)",
    message = "chain.btcd is required when chain.backend is btcd")
@ValidationRule(
    value = "self.backend == 'btcd' || !has(self.btcd)",
    message = "chain.btcd may only be set when chain.backend is btcd")
@ValidationRule(
    value = "self.backend == 'neutrino' || !has(self.neutrino)",
    message = "chain.neutrino may only be set when chain.backend is neutrino")
public class ChainSpec {
  @Required
  @JsonPropertyDescription(
      "bitcoind (a full node over RPC and ZMQ), btcd (a full node over its websocket RPC),"
          + " neutrino (light client over the P2P protocol) or nochainbackend (no chain at all;"
          + " tests on regtest or simnet only).")
  public ChainBackend backend;

  @JsonPropertyDescription("bitcoind connection; required when backend is bitcoind.")
  public BitcoindSpec bitcoind;

  @JsonPropertyDescription("btcd connection; required when backend is btcd.")
  public BtcdSpec btcd;

  @JsonPropertyDescription("neutrino settings; optional when backend is neutrino.")
  public NeutrinoSpec neutrino;
}
