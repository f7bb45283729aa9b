package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A btcd full node over its TLS websocket RPC. Credentials and certificate stay in Secrets and
 * reach LND only inside lnd.conf, which is itself a Secret.
 */
public class BtcdSpec {
  public static final String DEFAULT_CERT_KEY = "rpc.cert";

  @Required
  @Size(min = 1, max = 253)
  @JsonPropertyDescription(
      "btcd RPC address, host or host:port (btcd.rpchost); the port defaults to the network's"
          + " (18334 on regtest). The host must be a name the RPC certificate carries.")
  public String rpcHost;

  @Required
  @JsonPropertyDescription("Secret holding the RPC credentials under the keys rpcuser and rpcpass.")
  public SecretRef rpcCredentialsSecretRef;

  @Required
  @JsonPropertyDescription(
      "Secret key holding btcd's PEM RPC certificate (key defaults to rpc.cert, btcd's own file"
          + " name). LND verifies the RPC server against it.")
  public SecretKeyRef rpcCertSecretRef;
}
