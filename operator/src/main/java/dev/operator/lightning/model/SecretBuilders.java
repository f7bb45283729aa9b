package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Secrets a cluster owns. Their content comes from the caller (issued certificates, a generated
 * password, rendered lnd.conf), so building them stays pure.
 */
public final class SecretBuilders {
  public static final String LND_CONF_KEY = "lnd.conf";

  private SecretBuilders() {}

  /** lnd.conf as a Secret, since it can carry bitcoind and etcd credentials. */
  public static Secret lndConfig(LightningCluster cluster, EffectiveSpec spec, String lndConf) {
    Names n = spec.names();
    return DesiredHash.stamp(
        secret(
            cluster,
            n.lndConfigSecret(),
            Labels.component(n.cluster(), Labels.COMPONENT_LND),
            "Opaque",
            Map.of(LND_CONF_KEY, lndConf)));
  }

  /** A kubernetes.io/tls Secret with the CA certificate beside the leaf. */
  public static Secret tls(
      LightningCluster cluster, String name, String certPem, String keyPem, String caPem) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("tls.crt", certPem);
    data.put("tls.key", keyPem);
    data.put("ca.crt", caPem);
    return secret(
        cluster, name, Labels.common(cluster.getMetadata().getName()), "kubernetes.io/tls", data);
  }

  /** The cluster CA, kept so that certificates can be issued again later. */
  public static Secret ca(LightningCluster cluster, String name, String certPem, String keyPem) {
    return secret(
        cluster,
        name,
        Labels.common(cluster.getMetadata().getName()),
        "Opaque",
        Map.of("ca.crt", certPem, "ca.key", keyPem));
  }

  /** The generated wallet password, when the user did not supply one. */
  public static Secret walletPassword(
      LightningCluster cluster, EffectiveSpec spec, String password) {
    return secret(
        cluster,
        spec.names().generatedWalletSecret(),
        Labels.common(spec.names().cluster()),
        "Opaque",
        Map.of(spec.walletSecretKey(), password));
  }

  private static Secret secret(
      LightningCluster cluster,
      String name,
      Map<String, String> labels,
      String type,
      Map<String, String> stringData) {
    Map<String, String> data = new LinkedHashMap<>();
    stringData.forEach(
        (k, v) ->
            data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withMetadata(Owned.meta(cluster, name, labels))
        .withType(type)
        .withData(data)
        .build();
  }
}
