package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.WalletSpec;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.lnd.Macaroons;
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
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the shared wallet once, through the first leader, when it reports NON_EXISTING: with the
 * user's seed (restore) or a seed LND generates, and with a macaroon root key the operator chooses.
 * Seed and root key are stored in Secrets before the wallet is created, so neither can be lost in
 * between, and every step can run again: on any later pass where {@code <name>-admin} is missing,
 * the admin macaroon is minted again from the kept root key. Later leaders unlock themselves from
 * the password file. No seed word, key or password is ever logged or put in an event.
 */
final class WalletSetup {
  /** LND's state while it leads but has no wallet yet. */
  static final String NO_WALLET = "NON_EXISTING";

  /** Addresses scanned for funds when restoring from a user's seed. */
  static final int RESTORE_RECOVERY_WINDOW = 2500;

  static final String ROOT_KEY = "rootKey";

  static final String READ_ONLY_MACAROON = "readonly.macaroon";

  private static final Logger log = LoggerFactory.getLogger(WalletSetup.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KubernetesClient client;
  private final ObjectApplier applier;
  private final ClusterEvents events;
  private final ClusterReads reads;

  WalletSetup(
      KubernetesClient client, ClusterReads reads, ObjectApplier applier, ClusterEvents events) {
    this.client = client;
    this.reads = reads;
    this.applier = applier;
    this.events = events;
  }

  /**
   * What the wallet step of a pass is decided from ({@link WalletSteps#decide}): the leader's state
   * and which wallet Secrets exist; null when the leader's state calls for no wallet step. The
   * Secrets are read as the step needs them: before generating a seed or a root key, a cache miss
   * is confirmed with the API server, so a cache that has not seen one yet never makes the operator
   * generate it a second time; the root key is read only when a macaroon is missing. A failed read
   * is a problem, and then no step is decided.
   */
  WalletSteps.Facts facts(EffectiveSpec spec, String leaderState, List<Problem> problems) {
    Names n = spec.names();
    boolean noWallet = NO_WALLET.equals(leaderState);
    if (!noWallet && !Leadership.isActive(leaderState)) {
      return null;
    }
    try {
      if (noWallet) {
        boolean restore = spec.walletSeedSecretRef() != null;
        boolean seedKept =
            !restore
                && reads.ownedSecretBeforeGenerating(n.namespace(), n.walletSeedSecret()) != null;
        boolean rootKeyKept =
            reads.ownedSecretBeforeGenerating(n.namespace(), n.macaroonKeySecret()) != null;
        // The wallet's creation writes both macaroons whatever exists.
        return new WalletSteps.Facts(leaderState, restore, seedKept, rootKeyKept, true, true);
      }
      boolean admin = secret(n.namespace(), n.adminCredentialsSecret()) == null;
      boolean readOnly = secret(n.namespace(), n.readOnlyMacaroonSecret()) == null;
      boolean rootKeyKept =
          (admin || readOnly) && secret(n.namespace(), n.macaroonKeySecret()) != null;
      return new WalletSteps.Facts(leaderState, false, false, rootKeyKept, admin, readOnly);
    } catch (RuntimeException e) {
      // Not knowing what is kept, the operator generates and mints nothing this pass.
      problems.add(
          noWallet
              ? new Problem(
                  "WalletInitFailed",
                  "reading the kept wallet Secrets failed: "
                      + e.getMessage()
                      + "; the wallet is created on a later pass")
              : new Problem(
                  "AdminCredentialsMissing",
                  "reading the wallet's credential Secrets failed: "
                      + e.getMessage()
                      + "; retrying"));
      return null;
    }
  }

  /**
   * Carries out the wallet steps the plan decided: create the wallet through the leader, or mint
   * the admin or read-only macaroon again from the kept root key.
   */
  void carryOut(
      LightningCluster cluster,
      EffectiveSpec spec,
      String leaderPod,
      WalletSteps.Plan plan,
      LndRestClient lnd,
      String caPem,
      List<Problem> problems) {
    if (plan.createWallet()) {
      create(cluster, spec, leaderPod, plan, lnd, caPem, problems);
    } else if (plan.writeAdmin() || plan.writeReadOnly()) {
      restoreAdminCredentials(cluster, spec, plan, caPem, problems);
    }
  }

  private void create(
      LightningCluster cluster,
      EffectiveSpec spec,
      String leaderPod,
      WalletSteps.Plan plan,
      LndRestClient lnd,
      String caPem,
      List<Problem> problems) {
    Names n = spec.names();
    String host = leaderPod + "." + n.serviceHost(n.membersService());
    try {
      boolean restore = plan.seed() == WalletSteps.Seed.USERS;
      String password = value(n.namespace(), spec.walletSecretName(), spec.walletSecretKey());
      List<String> mnemonic =
          switch (plan.seed()) {
            case USERS ->
                words(value(n.namespace(), spec.walletSeedSecretRef(), WalletSpec.MNEMONIC_KEY));
            case KEPT -> words(decode(kept(n, n.walletSeedSecret()), WalletSpec.MNEMONIC_KEY));
            case NEW -> keepNewSeed(n, lnd.genSeed(host, MemberPaths.REST_PORT));
          };
      byte[] channelBackup =
          restore && spec.walletChannelBackup() != null
              ? Base64.getDecoder()
                  .decode(
                      rawValue(
                          n.namespace(),
                          spec.walletChannelBackup().name,
                          spec.walletChannelBackup().key))
              : null;
      byte[] rootKey =
          plan.newRootKey()
              ? keepNewRootKey(n)
              : Base64.getDecoder().decode(kept(n, n.macaroonKeySecret()).getData().get(ROOT_KEY));
      lnd.initWallet(
          host,
          MemberPaths.REST_PORT,
          password,
          mnemonic,
          restore ? RESTORE_RECOVERY_WINDOW : 0,
          rootKey,
          channelBackup);
      boolean written =
          writeAdminCredentials(cluster, n, rootKey, caPem, problems)
              & writeReadOnlyMacaroon(cluster, n, rootKey, problems);
      events.normal(
          cluster,
          "WalletCreated",
          (restore
                  ? "restored the wallet from spec.wallet.seedSecretRef"
                      + (channelBackup != null
                          ? " and its channels from spec.wallet.channelBackupSecretRef"
                          : "")
                  : "created the wallet")
              + " through "
              + leaderPod
              + (restore ? "" : "; its seed is kept in Secret " + n.walletSeedSecret())
              + (written
                  ? "; admin credentials in Secret " + n.adminCredentialsSecret()
                  : "; the admin credentials are written on a later pass"));
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

  /** Keeps a seed LND generated before any wallet is created with it; returns its words. */
  private List<String> keepNewSeed(Names n, List<String> mnemonic) {
    client
        .resource(
            keptSecret(
                n,
                n.walletSeedSecret(),
                WalletSpec.MNEMONIC_KEY,
                String.join(" ", mnemonic).getBytes(StandardCharsets.UTF_8),
                "not deleted with the cluster: this is the only backup of the wallet's funds"))
        .create();
    return mnemonic;
  }

  /** Generates and keeps a macaroon root key before any wallet is created with it. */
  private byte[] keepNewRootKey(Names n) {
    byte[] key = new byte[Macaroons.ROOT_KEY_BYTES];
    RANDOM.nextBytes(key);
    client
        .resource(
            keptSecret(
                n,
                n.macaroonKeySecret(),
                ROOT_KEY,
                key,
                "not deleted with the cluster: the wallet's macaroons are derived from it"))
        .create();
    return key;
  }

  /**
   * Mints the admin or read-only macaroon again when {@code <name>-admin} or {@code
   * <name>-readonly} is missing: its creation may have failed after the wallet was created, someone
   * deleted it, or the wallet predates the read-only one.
   */
  private void restoreAdminCredentials(
      LightningCluster cluster,
      EffectiveSpec spec,
      WalletSteps.Plan plan,
      String caPem,
      List<Problem> problems) {
    Names n = spec.names();
    try {
      byte[] rootKey =
          Base64.getDecoder().decode(kept(n, n.macaroonKeySecret()).getData().get(ROOT_KEY));
      if (plan.writeAdmin() && writeAdminCredentials(cluster, n, rootKey, caPem, problems)) {
        events.normal(
            cluster,
            "AdminCredentialsRestored",
            "Secret "
                + n.adminCredentialsSecret()
                + " was missing; minted the admin macaroon again from the kept root key");
      }
      if (plan.writeReadOnly() && writeReadOnlyMacaroon(cluster, n, rootKey, problems)) {
        events.normal(
            cluster,
            "ReadOnlyMacaroonRestored",
            "Secret "
                + n.readOnlyMacaroonSecret()
                + " was missing; minted the read-only macaroon again from the kept root key");
      }
    } catch (Exception e) {
      problems.add(
          new Problem(
              "AdminCredentialsMissing",
              "Secret "
                  + n.adminCredentialsSecret()
                  + " is missing and could not be written again: "
                  + e.getMessage()
                  + "; retrying"));
    }
  }

  /** Writes {@code <name>-admin}; false (with a problem) if the API server refused it. */
  private boolean writeAdminCredentials(
      LightningCluster cluster, Names n, byte[] rootKey, String caPem, List<Problem> problems) {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    byte[] macaroon =
        Macaroons.mint(rootKey, Macaroons.DEFAULT_ROOT_KEY_ID, Macaroons.ADMIN, nonce);
    Secret tls = secret(n.namespace(), n.lndTlsSecret());
    if (tls == null || tls.getData() == null || tls.getData().get("tls.crt") == null) {
      problems.add(
          new Problem(
              "AdminCredentialsMissing",
              "Secret " + n.lndTlsSecret() + " has no tls.crt yet; the admin credentials wait"));
      return false;
    }
    Map<String, String> data = new LinkedHashMap<>();
    data.put("admin.macaroon", Base64.getEncoder().encodeToString(macaroon));
    data.put("tls.crt", tls.getData().get("tls.crt"));
    data.put("ca.crt", Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8)));
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
      return false;
    }
    return true;
  }

  /**
   * Writes {@code <name>-readonly}, which the operator's own reads of the leader carry (never the
   * admin macaroon); false (with a problem) if the API server refused it.
   */
  private boolean writeReadOnlyMacaroon(
      LightningCluster cluster, Names n, byte[] rootKey, List<Problem> problems) {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    byte[] readOnly =
        Macaroons.mint(rootKey, Macaroons.DEFAULT_ROOT_KEY_ID, Macaroons.READ_ONLY, nonce);
    ObjectApplier.Outcome ro =
        applier.apply(
            cluster,
            new SecretBuilder()
                .withMetadata(
                    Owned.meta(cluster, n.readOnlyMacaroonSecret(), Labels.common(n.cluster())))
                .withType("Opaque")
                .withData(Map.of(READ_ONLY_MACAROON, Base64.getEncoder().encodeToString(readOnly)))
                .build());
    if (ro.problem() != null) {
      problems.add(ro.problem());
      return false;
    }
    return true;
  }

  /**
   * Wallet material outlives the cluster on purpose: deleting a LightningCluster must never destroy
   * the only backup of its funds or the key to its macaroons. It carries the cluster's labels but
   * no owner reference.
   */
  private static Secret keptSecret(Names n, String name, String key, byte[] value, String why) {
    return new SecretBuilder()
        .withMetadata(
            new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(n.namespace())
                .withLabels(Labels.common(n.cluster()))
                .addToAnnotations(Labels.PREFIX + "kept", why)
                .build())
        .withType("Opaque")
        .withData(Map.of(key, Base64.getEncoder().encodeToString(value)))
        .build();
  }

  /**
   * A Secret the plan found kept, read again for its value (from the cache, or the API server when
   * the cache has not seen it yet).
   */
  private Secret kept(Names n, String name) {
    Secret s = reads.ownedSecretBeforeGenerating(n.namespace(), name);
    if (s == null || s.getData() == null) {
      throw new IllegalStateException("Secret " + n.namespace() + "/" + name + " is gone");
    }
    return s;
  }

  /** A Secret this operator keeps or generated. */
  private Secret secret(String ns, String name) {
    return reads.ownedSecret(ns, name);
  }

  /** A value of a Secret the spec points at (the user's, or a generated wallet password). */
  private String value(String ns, String secret, String key) {
    Secret s = reads.referencedSecret(ns, secret);
    if (s == null) {
      throw new IllegalStateException("Secret " + ns + "/" + secret + " not found");
    }
    return decode(s, key);
  }

  /** The Secret's value for the key as stored (base64), for binary values. */
  private String rawValue(String ns, String secret, String key) {
    Secret s = reads.referencedSecret(ns, secret);
    if (s == null || s.getData() == null || s.getData().get(key) == null) {
      throw new IllegalStateException("Secret " + ns + "/" + secret + " has no key " + key);
    }
    return s.getData().get(key);
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
