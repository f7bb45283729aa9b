package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A bitcoind full node. Its RPC credentials stay in a Secret and reach LND only inside lnd.conf,
 * which is itself a Secret.
 */
public class BitcoindSpec {
  public static final String RPC_USER_KEY = "rpcuser";
  public static final String RPC_PASS_KEY = "rpcpass";

  @Required
  @Size(min = 1)
  @JsonPropertyDescription("bitcoind RPC address, host:port (bitcoind.rpchost).")
  public String rpcHost;

  @Required
  @JsonPropertyDescription("Secret holding the RPC credentials under the keys rpcuser and rpcpass.")
  public SecretRef rpcCredentialsSecretRef;

  @Required
  @Size(min = 1)
  @JsonPropertyDescription("ZMQ raw block endpoint, e.g. tcp://bitcoind:28332.")
  public String zmqPubRawBlock;

  @Required
  @Size(min = 1)
  @JsonPropertyDescription("ZMQ raw transaction endpoint, e.g. tcp://bitcoind:28333.")
  public String zmqPubRawTx;
}
