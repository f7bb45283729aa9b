package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.CertificatePlan;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.Owned;
import dev.operator.lightning.model.SecretBuilders;
import dev.operator.lightning.pki.CertificateAuthority;
import dev.operator.lightning.pki.Passwords;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Generated material: the cluster CA, every certificate of the plan, and the wallet password when
 * the user gave none. Each is created once and never overwritten, so a reconcile can never rotate a
 * key out from under a running member.
 */
final class OwnedSecrets {
  private final ClusterReads reads;
  private final ObjectApplier applier;

  OwnedSecrets(ClusterReads reads, ObjectApplier applier) {
    this.reads = reads;
    this.applier = applier;
  }

  /** The CA (for hashing and for reading LND's TLS), with any problems met on the way. */
  record Result(CertificateAuthority ca, List<Problem> problems, boolean written) {}

  Result ensure(LightningCluster cluster, EffectiveSpec spec) {
    List<Problem> problems = new ArrayList<>();
    boolean written = false;
    String ns = spec.names().namespace();
    String caName = spec.names().caSecret();
    Secret caSecret = reads.ownedSecretBeforeGenerating(ns, caName);
    CertificateAuthority ca;
    if (caSecret == null) {
      ca = CertificateAuthority.generate(ns + "/" + spec.names().cluster());
      ObjectApplier.Outcome o =
          applier.createIfAbsent(
              cluster, SecretBuilders.ca(cluster, caName, ca.certificatePem(), ca.keyPem()));
      written |= o.written();
    } else if (!Owned.isOwnedBy(caSecret, cluster)) {
      return new Result(null, List.of(ObjectApplier.conflict(caSecret)), false);
    } else {
      try {
        ca = CertificateAuthority.load(decode(caSecret, "ca.crt"), decode(caSecret, "ca.key"));
      } catch (IllegalArgumentException e) {
        return new Result(
            null,
            List.of(
                new Problem(
                    Problem.INVALID_SECRET,
                    "Secret "
                        + ns
                        + "/"
                        + caName
                        + " does not hold a PEM CA certificate and key (ca.crt, ca.key);"
                        + " delete it to have a new CA and new certificates issued")),
            false);
      }
    }
    for (CertificateRequest req : CertificatePlan.of(spec)) {
      Secret live = reads.ownedSecretBeforeGenerating(ns, req.secretName());
      if (live != null) {
        if (!Owned.isOwnedBy(live, cluster)) {
          problems.add(ObjectApplier.conflict(live));
        }
        continue;
      }
      CertificateAuthority.Issued issued = ca.issue(req);
      ObjectApplier.Outcome o =
          applier.createIfAbsent(
              cluster,
              SecretBuilders.tls(
                  cluster,
                  req.secretName(),
                  issued.certificatePem(),
                  issued.keyPem(),
                  ca.certificatePem()));
      written |= o.written();
    }
    if (spec.walletGenerated()) {
      Secret live = reads.ownedSecretBeforeGenerating(ns, spec.walletSecretName());
      if (live == null) {
        ObjectApplier.Outcome o =
            applier.createIfAbsent(
                cluster, SecretBuilders.walletPassword(cluster, spec, Passwords.generate()));
        written |= o.written();
      } else if (!Owned.isOwnedBy(live, cluster)) {
        problems.add(ObjectApplier.conflict(live));
      }
    }
    return new Result(ca, problems, written);
  }

  static String decode(Secret s, String key) {
    if (s.getData() == null || s.getData().get(key) == null) {
      throw new IllegalArgumentException("missing " + key);
    }
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }
}
