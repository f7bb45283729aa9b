package dev.operator.lightning.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.operator.lightning.it.Clusters;
import dev.operator.lightning.model.CertificatePlan;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.EffectiveSpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {
  @Test
  void issuedCertificatesChainToTheCaAndCarryTheirNames() throws Exception {
    CertificateAuthority ca = CertificateAuthority.generate("ns/c");
    CertificateAuthority.Issued issued =
        ca.issue(
            new CertificateRequest(
                "x",
                "c",
                List.of("c.ns.svc", "*.c-members.ns.svc"),
                List.of("127.0.0.1"),
                true,
                false));
    X509Certificate cert = parse(issued.certificatePem());
    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getSubjectAlternativeNames())
        .extracting(l -> l.get(1).toString())
        .containsExactlyInAnyOrder("c.ns.svc", "*.c-members.ns.svc", "127.0.0.1");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(issued.keyPem()).startsWith("-----BEGIN PRIVATE KEY-----").isNotEqualTo(ca.keyPem());
  }

  @Test
  void aStoredCaLoadsBackAndKeepsIssuing() throws Exception {
    CertificateAuthority ca = CertificateAuthority.generate("ns/c");
    CertificateAuthority loaded = CertificateAuthority.load(ca.certificatePem(), ca.keyPem());
    X509Certificate cert =
        parse(
            loaded
                .issue(new CertificateRequest("x", "c", List.of("a"), List.of(), false, true))
                .certificatePem());
    cert.verify(ca.certificate().getPublicKey());
    assertThatThrownBy(() -> CertificateAuthority.load("junk", "junk"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void managedEtcdPlanCoversServerPeerClientAndLnd() {
    EffectiveSpec spec = EffectiveSpec.of(Clusters.managed("ns", "c"));
    List<CertificateRequest> plan = CertificatePlan.of(spec);
    assertThat(plan)
        .extracting(CertificateRequest::secretName)
        .containsExactly("c-lnd-tls", "c-etcd-server-tls", "c-etcd-peer-tls", "c-etcd-client-tls");
    assertThat(plan.get(1).dnsNames())
        .contains("c-etcd-client.ns.svc", "*.c-etcd.ns.svc", "c-etcd-client.ns.svc.cluster.local");
    assertThat(plan.get(0).dnsNames()).contains("c.ns.svc", "*.c-members.ns.svc", "localhost");
    assertThat(CertificatePlan.of(EffectiveSpec.of(Clusters.external("ns", "c", null))))
        .extracting(CertificateRequest::secretName)
        .containsExactly("c-lnd-tls");
  }

  @Test
  void generatedPasswordsAreLongAndDistinct() {
    assertThat(Passwords.generate()).hasSize(43).isNotEqualTo(Passwords.generate());
  }

  private static X509Certificate parse(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
  }
}
