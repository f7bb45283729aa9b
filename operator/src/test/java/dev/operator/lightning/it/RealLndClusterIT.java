package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.harness.EtcdServer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * The whole flow with the real lnd binary: the operator creates the member pods, the process
 * kubelet runs each pod's container as the real lnd, the operator creates the wallet through the
 * first leader, routes the leader Service to it alone, and fails over when the leader is killed or
 * deleted; every leader answers with the same identity.
 */
class RealLndClusterIT {
  @Test
  void realLndClusterElectsCreatesItsWalletAndFailsOverKeepingItsIdentity() throws Exception {
    KubernetesClient client = ApiServerSupport.client();
    try (EtcdServer etcd = EtcdServer.start();
        Main.Running op = Main.start(client, Main.Settings.forTests());
        MemberScenario s =
            new MemberScenario(client, etcd, "real", "sigma", 30, null, false, true, c -> {})) {
      String first = s.awaitRoutedLeader(null);
      assertThat(s.events("WalletCreated")).singleElement().asString().contains(first);
      String identity = identity(client, s, first);
      assertThat(identity).hasSize(66);

      Instant killed = Instant.now();
      s.kubelet.killHard(first);
      String second = s.awaitRoutedLeader(first);
      System.out.printf(
          "real lnd in pods: kill -9 of %s -> %s active and routed in %d ms (TTL 30 s)%n",
          first, second, Duration.between(killed, Instant.now()).toMillis());
      assertThat(identity(client, s, second)).as("identity after failover").isEqualTo(identity);

      Instant deleted = Instant.now();
      client.pods().inNamespace(s.ns).withName(second).delete();
      String third = s.awaitRoutedLeader(second);
      System.out.printf(
          "real lnd in pods: graceful deletion of %s -> %s active and routed in %d ms%n",
          second, third, Duration.between(deleted, Instant.now()).toMillis());
      assertThat(identity(client, s, third)).isEqualTo(identity);
      assertThat(s.events("WalletCreated")).as("one wallet, created once").hasSize(1);
      s.assertInvariantHeld();
    }
  }

  /** getinfo from a member by its DNS name, with the admin credentials the operator exported. */
  private static String identity(KubernetesClient client, MemberScenario s, String pod)
      throws Exception {
    Secret admin = client.secrets().inNamespace(s.ns).withName(s.name + "-admin").get();
    byte[] ca = Base64.getDecoder().decode(admin.getData().get("ca.crt"));
    String macaroon =
        HexFormat.of().formatHex(Base64.getDecoder().decode(admin.getData().get("admin.macaroon")));
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry(
        "ca",
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(ca)));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    HttpClient http = HttpClient.newBuilder().sslContext(ctx).build();
    String[] found = new String[1];
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              String body =
                  http.send(
                          HttpRequest.newBuilder(
                                  URI.create(
                                      "https://"
                                          + pod
                                          + "."
                                          + s.name
                                          + "-members."
                                          + s.ns
                                          + ".svc:8080/v1/getinfo"))
                              .header("Grpc-Metadata-macaroon", macaroon)
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body();
              Matcher m =
                  Pattern.compile("\"identity_pubkey\"\\s*:\\s*\"([0-9a-f]{66})\"").matcher(body);
              assertThat(m.find()).as("getinfo answered %s", body).isTrue();
              found[0] = m.group(1);
            });
    return found[0];
  }
}
