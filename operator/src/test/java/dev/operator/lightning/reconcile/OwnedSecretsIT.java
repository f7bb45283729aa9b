package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.it.ApiServerSupport;
import dev.operator.lightning.it.Clusters;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.Labels;
import dev.operator.lightning.model.SecretBuilders;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Generated Secrets against the real API server, with the race the pure decision cannot see: a CA
 * stored by someone else (another operator replica, a restore) between the pass's read and its
 * create. Certificates issued by the CA the pass generated would not be trusted by the CA that is
 * kept, so the pass must issue none and the next one issues them from the stored CA.
 */
class OwnedSecretsIT {

  @Test
  void aCaStoredBetweenTheReadAndTheCreateIsTheOneEveryCertificateIsIssuedBy() throws Exception {
    KubernetesClient client = ApiServerSupport.client();
    String ns = ApiServerSupport.newNamespace("ca-race");
    LightningCluster cluster = client.resource(Clusters.managed(ns, "rho")).create();
    EffectiveSpec spec = EffectiveSpec.of(cluster);
    String caName = spec.names().caSecret();
    CertificateAuthority rival = CertificateAuthority.generate("rival " + ns);

    // The cache has not seen the CA: the pass reads it from the API server, where it does not
    // exist yet, and decides on a new one. Right before the pass creates it, the rival is stored.
    AtomicInteger caLookups = new AtomicInteger();
    ClusterReads reads = new ClusterReads(client);
    reads.secrets(
        new ClusterReads.Cache<>() {
          @Override
          public Optional<Secret> get(String namespace, String name) {
            if (name.equals(caName) && caLookups.incrementAndGet() == 2) {
              client
                  .resource(
                      SecretBuilders.ca(cluster, caName, rival.certificatePem(), rival.keyPem()))
                  .create();
            }
            return Optional.empty();
          }

          @Override
          public Stream<Secret> list(String namespace) {
            return Stream.empty();
          }
        },
        null);
    OwnedSecrets secrets = new OwnedSecrets(reads, new ObjectApplier(client, reads));

    OwnedSecrets.Result raced = secrets.ensure(cluster, spec);

    assertThat(caLookups.get())
        .as("CA lookups in the cache: the pass's read, then the create's")
        .isEqualTo(2);
    assertThat(raced.ca()).as("the CA handed on by the pass that lost the race").isNull();
    assertThat(generated(client, ns))
        .as("Secrets after the pass that lost the race: the rival CA alone")
        .containsExactly(caName);

    OwnedSecrets.Result next = secrets.ensure(cluster, spec);

    assertThat(next.problems()).as("problems of the next pass").isEmpty();
    assertThat(next.ca().certificatePem())
        .as("the CA the next pass issues with")
        .isEqualTo(rival.certificatePem());
    List<String> issued =
        GeneratedSecrets.names(spec).stream()
            .filter(n -> !n.equals(caName) && !n.equals(spec.walletSecretName()))
            .toList();
    assertThat(issued).as("certificates this cluster needs").isNotEmpty();
    X509Certificate ca = certificate(rival.certificatePem());
    for (String name : issued) {
      Secret s = client.secrets().inNamespace(ns).withName(name).get();
      assertThat(s).as("certificate Secret %s", name).isNotNull();
      X509Certificate cert = certificate(OwnedSecrets.decode(s, "tls.crt"));
      // Throws when another key signed it.
      cert.verify(ca.getPublicKey());
      assertThat(OwnedSecrets.decode(s, "ca.crt"))
          .as("the CA %s tells members to trust", name)
          .isEqualTo(rival.certificatePem());
    }
    client.namespaces().withName(ns).delete();
  }

  private static List<String> generated(KubernetesClient client, String ns) {
    return client
        .secrets()
        .inNamespace(ns)
        .withLabel(Labels.MANAGED_BY, Labels.MANAGER)
        .list()
        .getItems()
        .stream()
        .map(s -> s.getMetadata().getName())
        .toList();
  }

  private static X509Certificate certificate(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
  }
}
