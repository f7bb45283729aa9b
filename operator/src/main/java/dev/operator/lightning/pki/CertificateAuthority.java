package dev.operator.lightning.pki;

import dev.operator.lightning.model.CertificateRequest;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The per-cluster certificate authority: ECDSA P-256 keys, which both etcd and LND (Go's
 * crypto/tls) load. Each cluster has its own CA, so one cluster's certificates never open another's
 * etcd.
 */
public final class CertificateAuthority {
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);
  public static final Duration LEAF_VALIDITY = Duration.ofDays(1825);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey key;

  private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** An issued leaf certificate and its key, PEM-encoded. */
  public record Issued(String certificatePem, String keyPem) {}

  public static CertificateAuthority generate(String commonName) {
    try {
      KeyPair kp = newKeyPair();
      X500Name name = subject(commonName);
      JcaX509v3CertificateBuilder b = builder(name, name, kp, CA_VALIDITY);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      return new CertificateAuthority(sign(b, kp.getPrivate()), kp.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot create a CA", e);
    }
  }

  public static CertificateAuthority load(String certificatePem, String keyPem) {
    try (PEMParser certs = new PEMParser(new StringReader(certificatePem));
        PEMParser keys = new PEMParser(new StringReader(keyPem))) {
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate((X509CertificateHolder) certs.readObject());
      Object k = keys.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      PrivateKey key =
          k instanceof PEMKeyPair pair
              ? conv.getKeyPair(pair).getPrivate()
              : conv.getPrivateKey((PrivateKeyInfo) k);
      return new CertificateAuthority(cert, key);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException(
          "the CA Secret does not hold a PEM certificate and key", e);
    }
  }

  public Issued issue(CertificateRequest request) {
    try {
      KeyPair kp = newKeyPair();
      X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
      JcaX509v3CertificateBuilder b =
          builder(issuer, subject(request.commonName()), kp, LEAF_VALIDITY);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      List<KeyPurposeId> purposes = new ArrayList<>();
      if (request.serverAuth()) {
        purposes.add(KeyPurposeId.id_kp_serverAuth);
      }
      if (request.clientAuth()) {
        purposes.add(KeyPurposeId.id_kp_clientAuth);
      }
      b.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
      List<GeneralName> sans = new ArrayList<>();
      request.dnsNames().forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
      request.ipAddresses().forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
      if (!sans.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      b.addExtension(
          Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      return new Issued(pem(sign(b, key)), pem(kp.getPrivate()));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot issue " + request.secretName(), e);
    }
  }

  public String certificatePem() {
    return pem(certificate);
  }

  public String keyPem() {
    return pem(key);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** Valid from a few minutes ago, so a peer whose clock runs slightly behind accepts it. */
  private static JcaX509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, KeyPair kp, Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        serial(),
        Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(validity)),
        subject,
        kp.getPublic());
  }

  private static X500Name subject(String commonName) {
    return new X500Name("CN=" + commonName + ",O=lightning-operator");
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(
          o instanceof PrivateKey k
              ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null)
              : o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }
}
