package dev.operator.lightning.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS that trusts exactly the given certificates and nothing from the JDK's store: a cluster's CA,
 * or a server's own certificate (btcd's self-issued RPC certificate is its own anchor).
 */
public final class TrustedCertificates {
  /** What an HTTP client needs to trust only these certificates. */
  public record Trust(SSLSocketFactory socketFactory, X509TrustManager trustManager) {}

  private TrustedCertificates() {}

  /** Every certificate in the PEM text; fails if there is none. */
  public static Trust of(String pem) throws GeneralSecurityException, IOException {
    Collection<? extends Certificate> certs =
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
    if (certs.isEmpty()) {
      throw new GeneralSecurityException("no certificate in the PEM text");
    }
    return of(certs);
  }

  public static Trust of(Collection<? extends Certificate> certs)
      throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    int i = 0;
    for (Certificate c : certs) {
      ks.setCertificateEntry("trusted-" + i++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new javax.net.ssl.TrustManager[] {tm}, null);
    return new Trust(ctx.getSocketFactory(), tm);
  }
}
