package dev.operator.lightning.pki;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.operator.lightning.model.CertificateRequest;
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

/**
 * A narrow HTTPS stand-in for LND's {@code GET /v1/state}, for unit tests: it serves a certificate
 * issued by the given CA and answers HTTP 200 with whatever body is set, as LND answers 200 in
 * every state.
 */
public final class FakeLndRest implements AutoCloseable {
  private final AtomicReference<String> body = new AtomicReference<>("{}");
  private final HttpsServer server;
  private final String leafPem;

  public FakeLndRest(
      CertificateAuthority ca, String bindIp, int port, List<String> dnsNames, List<String> ips)
      throws Exception {
    CertificateAuthority.Issued leaf =
        ca.issue(new CertificateRequest("s", "lnd", dnsNames, ips, true, false));
    leafPem = leaf.certificatePem();
    X509Certificate cert =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(leafPem.getBytes(StandardCharsets.UTF_8)));
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
    server = HttpsServer.create(new InetSocketAddress(bindIp, port), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx));
    server.createContext(
        "/v1/state",
        ex -> {
          byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    // A call that never gets an answer: a leader whose node went silent in the middle of it.
    server.createContext(
        "/v1/channels/backup",
        ex -> {
          try {
            silence.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
  }

  private final java.util.concurrent.CountDownLatch silence =
      new java.util.concurrent.CountDownLatch(1);

  public void answer(String json) {
    body.set(json);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The server's certificate, PEM. */
  public String certificatePem() {
    return leafPem;
  }

  @Override
  public void close() {
    silence.countDown();
    server.stop(0);
  }
}
