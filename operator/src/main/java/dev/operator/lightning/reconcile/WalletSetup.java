package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.WalletSpec;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.Labels;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.Names;
import dev.operator.lightning.model.Owned;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the shared wallet once, through the first leader, when it reports NON_EXISTING: with the
 * user's seed (restore) or a seed LND generates, stored in a Secret before the wallet is created so
 * it can never be lost in between. Later leaders unlock themselves from the password file. No seed
 * word or password is ever logged or put in an event.
 */
final class WalletSetup {
  /** LND's state while it leads but has no wallet yet. */
  static final String NO_WALLET = "NON_EXISTING";

  /** Addresses scanned for funds when restoring from a user's seed. */
  static final int RESTORE_RECOVERY_WINDOW = 2500;

  private static final Logger log = LoggerFactory.getLogger(WalletSetup.class);

  private final KubernetesClient client;
  private final ObjectApplier applier;
  private final ClusterEvents events;

  WalletSetup(KubernetesClient client, ObjectApplier applier, ClusterEvents events) {
    this.client = client;
    this.applier = applier;
    this.events = events;
  }

  void run(
      LightningCluster cluster,
      EffectiveSpec spec,
      String leaderPod,
      LndRestClient lnd,
      String caPem,
      List<Problem> problems) {
    Names n = spec.names();
    String host = leaderPod + "." + n.serviceHost(n.membersService());
    try {
      String password = value(n.namespace(), spec.walletSecretName(), spec.walletSecretKey());
      boolean restore = spec.walletSeedSecretRef() != null;
      List<String> mnemonic;
      if (restore) {
        mnemonic = words(value(n.namespace(), spec.walletSeedSecretRef(), WalletSpec.MNEMONIC_KEY));
      } else {
        Secret kept =
            client.secrets().inNamespace(n.namespace()).withName(n.walletSeedSecret()).get();
        if (kept != null) {
          mnemonic = words(decode(kept, WalletSpec.MNEMONIC_KEY));
        } else {
          mnemonic = lnd.genSeed(host, MemberPaths.REST_PORT);
          client.resource(seedSecret(cluster, n, String.join(" ", mnemonic))).create();
        }
      }
      byte[] macaroon =
          lnd.initWallet(
              host,
              MemberPaths.REST_PORT,
              password,
              mnemonic,
              restore ? RESTORE_RECOVERY_WINDOW : 0);
      Secret tls = client.secrets().inNamespace(n.namespace()).withName(n.lndTlsSecret()).get();
      Map<String, String> data = new LinkedHashMap<>();
      data.put("admin.macaroon", Base64.getEncoder().encodeToString(macaroon));
      data.put("tls.crt", tls.getData().get("tls.crt"));
      data.put(
          "ca.crt", Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8)));
      ObjectApplier.Outcome o =
          applier.apply(
              cluster,
              new SecretBuilder()
                  .withMetadata(
                      Owned.meta(cluster, n.adminCredentialsSecret(), Labels.common(n.cluster())))
                  .withType("Opaque")
                  .withData(data)
                  .build());
      if (o.problem() != null) {
        problems.add(o.problem());
      }
      events.normal(
          cluster,
          "WalletCreated",
          (restore ? "restored the wallet from spec.wallet.seedSecretRef" : "created the wallet")
              + " through "
              + leaderPod
              + (restore ? "" : "; its seed is kept in Secret " + n.walletSeedSecret())
              + "; admin credentials in Secret "
              + n.adminCredentialsSecret());
    } catch (Exception e) {
      log.warn(
          "{}: wallet creation through {} failed: {}",
          cluster.getMetadata().getName(),
          leaderPod,
          e.getMessage());
      problems.add(
          new Problem(
              "WalletInitFailed",
              "creating the wallet through "
                  + leaderPod
                  + " failed: "
                  + e.getMessage()
                  + "; it is retried on the next pass"));
    }
  }

  /**
   * The seed outlives the cluster on purpose: deleting a LightningCluster must never destroy the
   * only backup of its funds. It carries the cluster's labels but no owner reference.
   */
  private static Secret seedSecret(LightningCluster cluster, Names n, String mnemonic) {
    return new SecretBuilder()
        .withMetadata(
            new ObjectMetaBuilder()
                .withName(n.walletSeedSecret())
                .withNamespace(n.namespace())
                .withLabels(Labels.common(n.cluster()))
                .addToAnnotations(
                    Labels.PREFIX + "kept",
                    "not deleted with the cluster: this is the only backup of the wallet's funds")
                .build())
        .withType("Opaque")
        .withData(
            Map.of(
                WalletSpec.MNEMONIC_KEY,
                Base64.getEncoder().encodeToString(mnemonic.getBytes(StandardCharsets.UTF_8))))
        .build();
  }

  private String value(String ns, String secret, String key) {
    Secret s = client.secrets().inNamespace(ns).withName(secret).get();
    if (s == null) {
      throw new IllegalStateException("Secret " + ns + "/" + secret + " not found");
    }
    return decode(s, key);
  }

  private static String decode(Secret s, String key) {
    if (s.getData() == null || s.getData().get(key) == null) {
      throw new IllegalStateException("Secret " + s.getMetadata().getName() + " has no key " + key);
    }
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8)
        .strip();
  }

  private static List<String> words(String mnemonic) {
    return Arrays.stream(mnemonic.trim().split("\\s+")).toList();
  }
}
