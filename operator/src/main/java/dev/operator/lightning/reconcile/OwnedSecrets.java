package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.pki.CertificateAuthority;
import dev.operator.lightning.pki.Passwords;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Generated material: the cluster CA, every certificate of the plan, and the wallet password when
 * the user gave none. Reads what exists, lets {@link GeneratedSecrets} decide, creates what it
 * names.
 */
final class OwnedSecrets {
  private static final GeneratedSecrets.Material MATERIAL =
      new GeneratedSecrets.Material() {
        @Override
        public CertificateAuthority newCa(String commonName) {
          return CertificateAuthority.generate(commonName);
        }

        @Override
        public String newPassword() {
          return Passwords.generate();
        }
      };

  private final ClusterReads reads;
  private final ObjectApplier applier;

  OwnedSecrets(ClusterReads reads, ObjectApplier applier) {
    this.reads = reads;
    this.applier = applier;
  }

  /** The CA (for hashing and for reading LND's TLS), with any problems met on the way. */
  record Result(CertificateAuthority ca, List<Problem> problems, boolean written) {}

  Result ensure(LightningCluster cluster, EffectiveSpec spec) {
    String ns = spec.names().namespace();
    GeneratedSecrets.CaSecret ca =
        GeneratedSecrets.readCa(
            cluster, spec, reads.ownedSecretBeforeGenerating(ns, spec.names().caSecret()));
    if (ca.unusable() != null) {
      // Nothing can be issued: the other Secrets are not read (a miss would cost a GET a pass).
      return new Result(null, List.of(ca.unusable()), false);
    }
    Map<String, Secret> existing = new HashMap<>();
    for (String name : GeneratedSecrets.names(spec)) {
      if (name.equals(spec.names().caSecret())) {
        continue;
      }
      Secret live = reads.ownedSecretBeforeGenerating(ns, name);
      if (live != null) {
        existing.put(name, live);
      }
    }
    GeneratedSecrets.Plan plan = GeneratedSecrets.decide(cluster, spec, ca, existing, MATERIAL);
    List<Problem> problems = new ArrayList<>(plan.problems());
    boolean written = false;
    for (Secret secret : plan.create()) {
      ObjectApplier.Outcome o = applier.createIfAbsent(cluster, secret);
      written |= o.written();
      if (o.problem() != null) {
        problems.add(o.problem());
      }
      if (plan.newCa() && secret == plan.create().get(0) && !o.written()) {
        // Another CA was stored since it was read: certificates issued by this one would not be
        // trusted by it. The next pass issues them from the stored CA.
        return new Result(null, problems, written);
      }
    }
    return new Result(plan.ca(), problems, written);
  }

  static String decode(Secret s, String key) {
    if (s.getData() == null || s.getData().get(key) == null) {
      throw new IllegalArgumentException("missing " + key);
    }
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }
}
