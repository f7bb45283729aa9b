package dev.operator.lightning.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.pki.CertificateAuthority;
import dev.operator.lightning.pki.TlsFailures;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.Test;

/**
 * The btcd probe against real TLS servers on this host: a certificate from another authority is a
 * rejected certificate (the user's Secret is wrong), a handshake the server cuts short is a server
 * out of reach (as when btcd restarts mid-handshake), not a rejected certificate.
 */
class BtcdProbeTest {
  private static final String USER = "rpc";
  private static final String PASS = "secret";

  @Test
  void aCertificateFromAnotherAuthorityIsRejected() throws Exception {
    CertificateAuthority served = CertificateAuthority.generate("btcd");
    CertificateAuthority trusted = CertificateAuthority.generate("another");
    CertificateAuthority.Issued leaf =
        served.issue(
            new CertificateRequest(
                "btcd-tls", "btcd", List.of("localhost"), List.of("127.0.0.1"), true, false));
    try (SSLServerSocket server = tlsServer(leaf)) {
      BtcdProbe.Result r =
          probeOnce(server, s -> ((javax.net.ssl.SSLSocket) s).startHandshake(), trusted);
      assertThat(r.reason()).as(r.message()).isEqualTo(BtcdProbe.CERTIFICATE_REJECTED);
      assertThat(r.message()).contains("does not verify against spec.chain.btcd.rpcCertSecretRef");
    }
  }

  @Test
  void aHandshakeCutShortIsUnreachableNotARejectedCertificate() throws Exception {
    CertificateAuthority trusted = CertificateAuthority.generate("btcd");
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // The ClientHello has begun: hang up.
      BtcdProbe.Result r = probeOnce(server, s -> s.getInputStream().read(), trusted);
      assertThat(r.reason()).as(r.message()).isEqualTo(BtcdProbe.UNREACHABLE);
      assertThat(r.message()).contains("TLS handshake");
    }
  }

  @Test
  void onlyACertificateCheckInTheCausesIsARejection() {
    assertThat(
            TlsFailures.certificateRejected(
                new SSLHandshakeException("PKIX path building failed")
                    .initCause(new CertificateException("no trust anchor"))))
        .isTrue();
    assertThat(
            TlsFailures.certificateRejected(
                new IOException(
                    "SSL error",
                    new SSLHandshakeException("bad path")
                        .initCause(new CertPathValidatorException("expired")))))
        .isTrue();
    assertThat(
            TlsFailures.certificateRejected(
                new SSLHandshakeException("Remote host terminated the handshake")
                    .initCause(new EOFException("SSL peer shut down incorrectly"))))
        .isFalse();
    assertThat(
            TlsFailures.certificateRejected(
                new SSLException("Connection reset", new SocketException("Connection reset"))))
        .isFalse();
    assertThat(TlsFailures.certificateRejected(null)).isFalse();
  }

  private static SSLServerSocket tlsServer(CertificateAuthority.Issued leaf) throws Exception {
    Certificate cert =
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(leaf.certificatePem().getBytes(StandardCharsets.UTF_8)));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("btcd", privateKey(leaf.keyPem()), new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return (SSLServerSocket)
        ctx.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress());
  }

  private static PrivateKey privateKey(String pem) throws IOException {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      return o instanceof PEMKeyPair pair
          ? converter.getKeyPair(pair).getPrivate()
          : converter.getPrivateKey((PrivateKeyInfo) o);
    }
  }

  /** What the server side does with the one connection it accepts. */
  private interface ServerSide {
    void serve(Socket s) throws IOException;
  }

  /** The probe against {@code server}, which serves one connection its own way meanwhile. */
  private static BtcdProbe.Result probeOnce(
      ServerSocket server, ServerSide side, CertificateAuthority trusted) throws Exception {
    Thread t =
        new Thread(
            () -> {
              try (Socket s = server.accept()) {
                side.serve(s);
              } catch (IOException expected) {
                // the client refuses or the server hangs up: the test's assertions say which
              }
            });
    t.start();
    BtcdProbe.Result r =
        BtcdProbe.probe(
            "127.0.0.1:" + server.getLocalPort(), 0, trusted.certificatePem(), USER, PASS);
    t.join(5_000);
    return r;
  }
}
