package dev.operator.lightning.pki;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

/**
 * Tells a certificate that failed to verify from a TLS handshake that was merely cut short. Both
 * arrive as an {@code SSLException}; only the first is the user's to fix (a wrong CA or certificate
 * Secret), while a server restarting or a connection reset mid-handshake is the same as a server
 * out of reach, and calling it a rejected certificate would send the user after a setting that is
 * right.
 */
public final class TlsFailures {
  private TlsFailures() {}

  /** Whether a certificate check, not the connection, failed somewhere in {@code t}'s causes. */
  public static boolean certificateRejected(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CertificateException
          || c instanceof CertPathValidatorException
          || c instanceof CertPathBuilderException) {
        return true;
      }
    }
    return false;
  }
}
