package dev.operator.lightning.database;

import dev.operator.lightning.pki.TrustedCertificates;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.util.Properties;
import javax.net.ssl.SSLSocketFactory;

/**
 * The PostgreSQL driver's TLS for the probe: trusts exactly the CA of
 * spec.database.postgres.caSecretRef, handed over in the connection properties, as the members
 * trust it in their SSL_CERT_DIR. The driver checks the host name itself for verify-full.
 */
public final class TrustedCaSocketFactory extends SSLSocketFactory {
  /** Connection property holding the CA in PEM; read by this factory only. */
  public static final String CA_PROPERTY = "lightning.trustedCaPem";

  private final SSLSocketFactory delegate;

  /** The driver's contract: a public constructor taking the connection properties. */
  public TrustedCaSocketFactory(Properties info) throws GeneralSecurityException, IOException {
    String pem = info.getProperty(CA_PROPERTY);
    if (pem == null) {
      throw new GeneralSecurityException("no CA given to the database probe");
    }
    this.delegate = TrustedCertificates.of(pem).socketFactory();
  }

  @Override
  public String[] getDefaultCipherSuites() {
    return delegate.getDefaultCipherSuites();
  }

  @Override
  public String[] getSupportedCipherSuites() {
    return delegate.getSupportedCipherSuites();
  }

  @Override
  public Socket createSocket(Socket s, String host, int port, boolean autoClose)
      throws IOException {
    return delegate.createSocket(s, host, port, autoClose);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return delegate.createSocket(host, port);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return delegate.createSocket(host, port, localHost, localPort);
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return delegate.createSocket(host, port);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return delegate.createSocket(address, port, localAddress, localPort);
  }
}
