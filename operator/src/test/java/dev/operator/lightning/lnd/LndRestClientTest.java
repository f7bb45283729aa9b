package dev.operator.lightning.lnd;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.operator.lightning.harness.HostsFile;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.pki.CertificateAuthority;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /v1/state over real TLS with a certificate from the cluster CA, as LND would serve it. */
class LndRestClientTest {
  private final CertificateAuthority ca = CertificateAuthority.generate("test");
  private final AtomicReference<String> body = new AtomicReference<>();
  private HttpsServer server;

  @BeforeEach
  void start() throws Exception {
    HostsFile.put("c-0.c-members.ns.svc", "127.0.0.1");
    HostsFile.put("c-0.other.ns.svc", "127.0.0.1");
    CertificateAuthority.Issued leaf =
        ca.issue(
            new CertificateRequest(
                "s", "lnd", List.of("*.c-members.ns.svc"), List.of("127.0.0.1"), true, false));
    X509Certificate cert =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(
                        leaf.certificatePem().getBytes(StandardCharsets.UTF_8)));
    PrivateKey key;
    try (PEMParser p = new PEMParser(new StringReader(leaf.keyPem()))) {
      key = new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) p.readObject());
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("k", key, "x".toCharArray(), new X509Certificate[] {cert, ca.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "x".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx));
    server.createContext(
        "/v1/state",
        ex -> {
          byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void readsTheLowerCaseStateField() {
    body.set("{\"state\":\"WAITING_TO_START\"}");
    assertThat(new LndRestClient(ca.certificate()).state("c-0.c-members.ns.svc", port()))
        .contains("WAITING_TO_START");
  }

  @Test
  void aBodyWithOnlyTheSeedsUpperCaseFieldIsNotAState() {
    body.set("{\"State\":\"SERVER_ACTIVE\"}");
    assertThat(new LndRestClient(ca.certificate()).state("c-0.c-members.ns.svc", port())).isEmpty();
  }

  @Test
  void aCertificateForAnotherNameIsRefused() {
    body.set("{\"state\":\"SERVER_ACTIVE\"}");
    assertThat(new LndRestClient(ca.certificate()).state("c-0.other.ns.svc", port())).isEmpty();
  }

  @Test
  void aServerFromAnotherCaIsRefused() {
    body.set("{\"state\":\"SERVER_ACTIVE\"}");
    CertificateAuthority other = CertificateAuthority.generate("other");
    assertThat(new LndRestClient(other.certificate()).state("c-0.c-members.ns.svc", port()))
        .isEmpty();
  }

  @Test
  void nothingListeningIsEmptyNotAnError() {
    assertThat(new LndRestClient(ca.certificate()).state("c-0.c-members.ns.svc", 1)).isEmpty();
  }

  private int port() {
    return server.getAddress().getPort();
  }
}
