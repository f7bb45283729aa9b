package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.operator.lightning.pki.CertificateAuthority;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs the member readiness probe's shell script, with the real sh, GNU wget and jq, against an
 * HTTPS /v1/state on 127.0.0.1:8080 that answers as LND does. Only the certificate's mount path is
 * pointed at a temporary file.
 */
class ReadinessProbeScriptTest {
  private final AtomicReference<String> body = new AtomicReference<>();
  private HttpsServer server;
  private Path tlsDir;

  @BeforeEach
  void serve() throws Exception {
    CertificateAuthority ca = CertificateAuthority.generate("probe");
    CertificateAuthority.Issued leaf =
        ca.issue(
            new CertificateRequest(
                "s", "lnd", List.of("localhost"), List.of("127.0.0.1"), true, false));
    tlsDir = Files.createTempDirectory("lnd-tls");
    Files.writeString(tlsDir.resolve("tls.crt"), leaf.certificatePem());
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
    ks.setKeyEntry("k", key, "x".toCharArray(), new X509Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "x".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", MemberPaths.REST_PORT), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx));
    server.createContext(
        "/v1/state",
        ex -> {
          byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length); // LND answers 200 in every state
          ex.getResponseBody().write(b);
          ex.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @ParameterizedTest(name = "{0} -> exit {1}")
  @CsvSource({
    "'{\"state\":\"SERVER_ACTIVE\"}', 0",
    "'{\"state\":\"RPC_ACTIVE\"}', 0",
    "'{\"state\":\"WAITING_TO_START\"}', 1",
    "'{\"state\":\"LOCKED\"}', 1",
    "'{\"state\":\"NON_EXISTING\"}', 1",
    "'{\"State\":\"SERVER_ACTIVE\"}', 1",
    "'not json', 1"
  })
  void readyOnlyWhileActive(String answer, int exit) throws Exception {
    body.set(answer);
    assertThat(probe()).as("probe exit code for %s", answer).isEqualTo(exit);
  }

  private int probe() throws Exception {
    String script = ReadinessProbe.SCRIPT.replace(MemberPaths.LND_TLS_DIR, tlsDir.toString());
    Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }
}
