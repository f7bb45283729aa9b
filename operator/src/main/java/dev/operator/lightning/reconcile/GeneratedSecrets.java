package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.CertificatePlan;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.Owned;
import dev.operator.lightning.model.SecretBuilders;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which generated Secrets a pass creates (the cluster CA, every certificate of the plan, the wallet
 * password when the user gave none), decided from the ones that exist: each is created once and
 * never overwritten, so a pass can never rotate a key out from under a running member. Pure: the
 * existing Secrets come in, the Secrets to create and the problems go out.
 */
final class GeneratedSecrets {
  private GeneratedSecrets() {}

  /** Fresh material, asked for only when what it makes is missing. */
  interface Material {
    CertificateAuthority newCa(String commonName);

    String newPassword();
  }

  /**
   * @param ca the CA to issue with and to trust the members' TLS by; null when none can be used,
   *     and then nothing else is created
   * @param newCa whether {@code ca} is generated in this pass: its Secret is first in {@code
   *     create}, and the certificates after it were issued by it
   * @param create the Secrets to create, in order
   */
  record Plan(
      CertificateAuthority ca, boolean newCa, List<Secret> create, List<Problem> problems) {}

  /** The names of every Secret {@link #decide} needs to know about, for the pass to read first. */
  static Set<String> names(EffectiveSpec spec) {
    Set<String> names = new LinkedHashSet<>();
    names.add(spec.names().caSecret());
    CertificatePlan.of(spec).forEach(r -> names.add(r.secretName()));
    if (spec.walletGenerated()) {
      names.add(spec.walletSecretName());
    }
    return names;
  }

  /**
   * The CA Secret read once: its CA, or why it cannot be used (another owner's, or no PEM CA in
   * it), or neither when it does not exist. When it cannot be used nothing else is decided, so a
   * pass need not read the other Secrets.
   */
  record CaSecret(Secret secret, CertificateAuthority ca, Problem unusable) {}

  static CaSecret readCa(LightningCluster cluster, EffectiveSpec spec, Secret secret) {
    if (secret == null) {
      return new CaSecret(null, null, null);
    }
    if (!Owned.isOwnedBy(secret, cluster)) {
      return new CaSecret(secret, null, ObjectApplier.conflict(secret));
    }
    try {
      return new CaSecret(
          secret,
          CertificateAuthority.load(
              OwnedSecrets.decode(secret, "ca.crt"), OwnedSecrets.decode(secret, "ca.key")),
          null);
    } catch (IllegalArgumentException e) {
      return new CaSecret(
          secret,
          null,
          new Problem(
              Problem.INVALID_SECRET,
              "Secret "
                  + spec.names().namespace()
                  + "/"
                  + spec.names().caSecret()
                  + " does not hold a PEM CA certificate and key (ca.crt, ca.key);"
                  + " delete it to have a new CA and new certificates issued"));
    }
  }

  /**
   * @param existing the Secrets of {@link #names} that exist, by name, as the API server has them
   */
  static Plan decide(
      LightningCluster cluster,
      EffectiveSpec spec,
      Map<String, Secret> existing,
      Material material) {
    return decide(
        cluster,
        spec,
        readCa(cluster, spec, existing.get(spec.names().caSecret())),
        existing,
        material);
  }

  /** As {@link #decide(LightningCluster, EffectiveSpec, Map, Material)}, the CA already read. */
  static Plan decide(
      LightningCluster cluster,
      EffectiveSpec spec,
      CaSecret caRead,
      Map<String, Secret> existing,
      Material material) {
    String ns = spec.names().namespace();
    String caName = spec.names().caSecret();
    List<Secret> create = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    if (caRead.unusable() != null) {
      return new Plan(null, false, List.of(), List.of(caRead.unusable()));
    }
    CertificateAuthority ca = caRead.ca();
    boolean newCa = caRead.secret() == null;
    if (newCa) {
      ca = material.newCa(ns + "/" + spec.names().cluster());
      create.add(SecretBuilders.ca(cluster, caName, ca.certificatePem(), ca.keyPem()));
    }
    for (CertificateRequest req : CertificatePlan.of(spec)) {
      Secret live = existing.get(req.secretName());
      if (live != null) {
        if (!Owned.isOwnedBy(live, cluster)) {
          problems.add(ObjectApplier.conflict(live));
        }
        continue;
      }
      CertificateAuthority.Issued issued = ca.issue(req);
      create.add(
          SecretBuilders.tls(
              cluster,
              req.secretName(),
              issued.certificatePem(),
              issued.keyPem(),
              ca.certificatePem()));
    }
    if (spec.walletGenerated()) {
      Secret live = existing.get(spec.walletSecretName());
      if (live == null) {
        create.add(SecretBuilders.walletPassword(cluster, spec, material.newPassword()));
      } else if (!Owned.isOwnedBy(live, cluster)) {
        problems.add(ObjectApplier.conflict(live));
      }
    }
    return new Plan(ca, newCa, create, problems);
  }
}
