package dev.operator.lightning.model;

import java.util.List;

/**
 * A certificate the operator must issue from its cluster CA and keep in a Secret (tls.crt, tls.key,
 * ca.crt).
 */
public record CertificateRequest(
    String secretName,
    String commonName,
    List<String> dnsNames,
    List<String> ipAddresses,
    boolean serverAuth,
    boolean clientAuth) {}
