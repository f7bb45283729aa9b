package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.api.WalletSpec;
import dev.operator.lightning.it.Clusters;
import dev.operator.lightning.model.CertificatePlan;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.SecretBuilders;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which generated Secrets a pass creates, on tables of what exists. */
class GeneratedSecretsTest {
  private static final CertificateAuthority STORED_CA = CertificateAuthority.generate("stored");
  private static final CertificateAuthority NEW_CA = CertificateAuthority.generate("new");

  /** Counts what it is asked for, so a test can say nothing was generated. */
  private static final class CountingMaterial implements GeneratedSecrets.Material {
    int cas;
    int passwords;

    @Override
    public CertificateAuthority newCa(String commonName) {
      cas++;
      return NEW_CA;
    }

    @Override
    public String newPassword() {
      passwords++;
      return "generated-password";
    }
  }

  private static LightningCluster cluster() {
    LightningCluster lc = Clusters.managed("ns1", "c1");
    lc.getMetadata().setUid("uid-1");
    return lc;
  }

  private static LightningCluster other() {
    LightningCluster lc = Clusters.managed("ns1", "someone-else");
    lc.getMetadata().setUid("uid-2");
    return lc;
  }

  /** Every Secret of the cluster as an earlier pass created it, with the stored CA. */
  private static Map<String, Secret> everything(LightningCluster lc, EffectiveSpec spec) {
    Map<String, Secret> m = new HashMap<>();
    m.put(
        spec.names().caSecret(),
        SecretBuilders.ca(
            lc, spec.names().caSecret(), STORED_CA.certificatePem(), STORED_CA.keyPem()));
    for (CertificateRequest r : CertificatePlan.of(spec)) {
      var issued = STORED_CA.issue(r);
      m.put(
          r.secretName(),
          SecretBuilders.tls(
              lc,
              r.secretName(),
              issued.certificatePem(),
              issued.keyPem(),
              STORED_CA.certificatePem()));
    }
    if (spec.walletGenerated()) {
      m.put(spec.walletSecretName(), SecretBuilders.walletPassword(lc, spec, "kept"));
    }
    return m;
  }

  private static String data(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }

  private static List<String> names(List<Secret> secrets) {
    return secrets.stream().map(s -> s.getMetadata().getName()).toList();
  }

  @Test
  void aNewClusterGetsItsCaFirstThenCertificatesItIssuedThenTheWalletPassword() {
    LightningCluster lc = cluster();
    EffectiveSpec spec = EffectiveSpec.of(lc);
    assertThat(spec.walletGenerated()).as("no password given: generated").isTrue();
    CountingMaterial material = new CountingMaterial();

    GeneratedSecrets.Plan plan = GeneratedSecrets.decide(lc, spec, Map.of(), material);

    assertThat(plan.problems()).isEmpty();
    assertThat(plan.newCa()).isTrue();
    assertThat(plan.ca()).isSameAs(NEW_CA);
    assertThat(names(plan.create())).containsExactlyElementsOf(GeneratedSecrets.names(spec));
    assertThat(names(plan.create()).get(0)).isEqualTo(spec.names().caSecret());
    for (Secret tls : plan.create().subList(1, 1 + CertificatePlan.of(spec).size())) {
      assertThat(data(tls, "ca.crt"))
          .as("CA bundled with %s", tls.getMetadata().getName())
          .isEqualTo(NEW_CA.certificatePem());
    }
    Secret wallet = plan.create().get(plan.create().size() - 1);
    assertThat(data(wallet, spec.walletSecretKey())).isEqualTo("generated-password");
    assertThat(material.cas).isEqualTo(1);
    assertThat(material.passwords).isEqualTo(1);
  }

  @Test
  void whenEverythingExistsNothingIsGeneratedAndTheStoredCaIsUsed() {
    LightningCluster lc = cluster();
    EffectiveSpec spec = EffectiveSpec.of(lc);
    CountingMaterial material = new CountingMaterial();

    GeneratedSecrets.Plan plan = GeneratedSecrets.decide(lc, spec, everything(lc, spec), material);

    assertThat(plan.create()).isEmpty();
    assertThat(plan.problems()).isEmpty();
    assertThat(plan.newCa()).isFalse();
    assertThat(plan.ca().certificatePem()).isEqualTo(STORED_CA.certificatePem());
    assertThat(material.cas).isZero();
    assertThat(material.passwords).isZero();
  }

  @Test
  void aMissingCertificateIsIssuedByTheStoredCaAndNothingElseIsTouched() {
    LightningCluster lc = cluster();
    EffectiveSpec spec = EffectiveSpec.of(lc);
    Map<String, Secret> existing = everything(lc, spec);
    existing.remove(spec.names().lndTlsSecret());
    CountingMaterial material = new CountingMaterial();

    GeneratedSecrets.Plan plan = GeneratedSecrets.decide(lc, spec, existing, material);

    assertThat(names(plan.create())).containsExactly(spec.names().lndTlsSecret());
    assertThat(data(plan.create().get(0), "ca.crt")).isEqualTo(STORED_CA.certificatePem());
    assertThat(material.cas).isZero();
  }

  @Test
  void aCaOfAnotherOwnerIsAConflictAndNothingIsIssued() {
    LightningCluster lc = cluster();
    EffectiveSpec spec = EffectiveSpec.of(lc);
    Map<String, Secret> existing = new HashMap<>();
    existing.put(
        spec.names().caSecret(),
        SecretBuilders.ca(
            other(), spec.names().caSecret(), STORED_CA.certificatePem(), STORED_CA.keyPem()));

    GeneratedSecrets.Plan plan =
        GeneratedSecrets.decide(lc, spec, existing, new CountingMaterial());

    assertThat(plan.ca()).isNull();
    assertThat(plan.create()).isEmpty();
    assertThat(plan.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.reason()).isEqualTo(Problem.OBJECT_CONFLICT));
  }

  @Test
  void aCaSecretWithoutAPemKeyIsReportedAndNeverReplaced() {
    LightningCluster lc = cluster();
    EffectiveSpec spec = EffectiveSpec.of(lc);
    Secret broken =
        new SecretBuilder(
                SecretBuilders.ca(
                    lc, spec.names().caSecret(), STORED_CA.certificatePem(), STORED_CA.keyPem()))
            .addToData(
                "ca.key",
                Base64.getEncoder().encodeToString("not a key".getBytes(StandardCharsets.UTF_8)))
            .build();
    CountingMaterial material = new CountingMaterial();

    GeneratedSecrets.Plan plan =
        GeneratedSecrets.decide(lc, spec, Map.of(spec.names().caSecret(), broken), material);

    assertThat(plan.ca()).isNull();
    assertThat(plan.create()).as("a new CA would orphan every certificate it signed").isEmpty();
    assertThat(material.cas).isZero();
    assertThat(plan.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.reason()).isEqualTo(Problem.INVALID_SECRET);
              assertThat(p.message()).contains(spec.names().caSecret()).contains("delete it");
            });
  }

  @Test
  void aCertificateSecretOfAnotherOwnerIsAConflictWhileTheRestIsCreated() {
    LightningCluster lc = cluster();
    EffectiveSpec spec = EffectiveSpec.of(lc);
    Map<String, Secret> existing = everything(lc, spec);
    String foreign = spec.names().lndTlsSecret();
    existing.put(foreign, SecretBuilders.tls(other(), foreign, "c", "k", "ca"));
    existing.remove(spec.walletSecretName());

    GeneratedSecrets.Plan plan =
        GeneratedSecrets.decide(lc, spec, existing, new CountingMaterial());

    assertThat(names(plan.create())).containsExactly(spec.walletSecretName());
    assertThat(plan.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.reason()).isEqualTo(Problem.OBJECT_CONFLICT);
              assertThat(p.message()).contains(foreign);
            });
  }

  @Test
  void aPasswordTheUserGivesIsNeverGenerated() {
    LightningCluster lc = cluster();
    lc.getSpec().wallet = new WalletSpec();
    lc.getSpec().wallet.passwordSecretRef = new SecretKeyRef();
    lc.getSpec().wallet.passwordSecretRef.name = "users-password";
    EffectiveSpec spec = EffectiveSpec.of(lc);
    CountingMaterial material = new CountingMaterial();

    GeneratedSecrets.Plan plan = GeneratedSecrets.decide(lc, spec, Map.of(), material);

    assertThat(spec.walletGenerated()).isFalse();
    assertThat(GeneratedSecrets.names(spec)).doesNotContain("users-password");
    assertThat(names(plan.create())).doesNotContain("users-password");
    assertThat(material.passwords).isZero();
  }
}
