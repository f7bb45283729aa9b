package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.BitcoindSpec;
import dev.operator.lightning.api.BtcdSpec;
import dev.operator.lightning.api.ChainBackend;
import dev.operator.lightning.api.ExternalEtcdSpec;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.LndConfig;
import dev.operator.lightning.model.PostgresDsn;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Reads the user's Secrets the spec points at. The schema cannot see them, so a missing Secret or
 * key becomes a Problem here instead of a pod that fails to start.
 */
final class ReferenceResolver {
  private final ClusterReads reads;

  ReferenceResolver(ClusterReads reads) {
    this.reads = reads;
  }

  /** Credentials found, or the problems that prevent rendering lnd.conf. */
  /**
   * @param externalEtcdTls ca.crt, tls.crt and tls.key found in an external etcd's TLS Secret
   */
  /**
   * @param postgres the PostgreSQL connection string, parsed (null with the data in etcd, or when
   *     it could not be read)
   * @param postgresCaPem the CA of spec.database.postgres.caSecretRef, or null
   */
  record Result(
      LndConfig.Credentials credentials,
      Map<String, String> externalEtcdTls,
      PostgresDsn postgres,
      String postgresCaPem,
      List<Problem> problems) {
    boolean ok() {
      return problems.isEmpty();
    }
  }

  /**
   * host:port/database of a cluster's PostgreSQL, read without reporting anything: another
   * cluster's unreadable string is that cluster's problem, not the caller's.
   */
  java.util.Optional<String> postgresEndpoint(EffectiveSpec spec) {
    EffectiveSpec.Postgres pg = spec.postgres();
    if (pg == null) {
      return java.util.Optional.empty();
    }
    try {
      String raw =
          values(spec.names().namespace(), pg.dsn().name, "", new ArrayList<>()).get(pg.dsn().key);
      return raw == null || raw.isBlank()
          ? java.util.Optional.empty()
          : java.util.Optional.of(PostgresDsn.parse(raw).endpoint());
    } catch (RuntimeException e) {
      return java.util.Optional.empty();
    }
  }

  Result resolve(EffectiveSpec spec) {
    List<Problem> problems = new ArrayList<>();
    String ns = spec.names().namespace();
    if (!spec.walletGenerated()) {
      values(
          ns,
          spec.walletSecretName(),
          "spec.wallet.passwordSecretRef",
          problems,
          spec.walletSecretKey());
    }
    var wallet = spec.walletSeedSecretRef();
    if (wallet != null) {
      values(
          ns,
          wallet,
          "spec.wallet.seedSecretRef",
          problems,
          dev.operator.lightning.api.WalletSpec.MNEMONIC_KEY);
    }
    var backup = spec.walletChannelBackup();
    if (backup != null) {
      values(ns, backup.name, "spec.wallet.channelBackupSecretRef", problems, backup.key);
    }
    // bitcoind and btcd take their RPC credentials from a Secret of the same shape.
    String rpcUser = null;
    String rpcPass = null;
    String credentials =
        switch (spec.chain().backend) {
          case bitcoind -> spec.chain().bitcoind.rpcCredentialsSecretRef.name;
          case btcd -> spec.chain().btcd.rpcCredentialsSecretRef.name;
          default -> null;
        };
    if (credentials != null) {
      Map<String, String> v =
          values(
              ns,
              credentials,
              "spec.chain." + spec.chain().backend + ".rpcCredentialsSecretRef",
              problems,
              BitcoindSpec.RPC_USER_KEY,
              BitcoindSpec.RPC_PASS_KEY);
      rpcUser = v.get(BitcoindSpec.RPC_USER_KEY);
      rpcPass = v.get(BitcoindSpec.RPC_PASS_KEY);
    }
    String rpcCert = null;
    if (spec.chain().backend == ChainBackend.btcd) {
      BtcdSpec btcd = spec.chain().btcd;
      String certKey =
          btcd.rpcCertSecretRef.key != null && !btcd.rpcCertSecretRef.key.isEmpty()
              ? btcd.rpcCertSecretRef.key
              : BtcdSpec.DEFAULT_CERT_KEY;
      String field = "spec.chain.btcd.rpcCertSecretRef";
      rpcCert = values(ns, btcd.rpcCertSecretRef.name, field, problems, certKey).get(certKey);
      if (rpcCert != null && !rpcCert.isBlank() && !isPemCertificate(rpcCert)) {
        problems.add(
            new Problem(
                Problem.CHAIN_CERTIFICATE_INVALID,
                "Secret "
                    + ns
                    + "/"
                    + btcd.rpcCertSecretRef.name
                    + " ("
                    + field
                    + ") key "
                    + certKey
                    + " is not a PEM certificate; put btcd's rpc.cert there"));
      }
    }
    String etcdUser = null;
    String etcdPass = null;
    boolean clientCert = false;
    Map<String, String> etcdTls = Map.of();
    ExternalEtcdSpec ext = spec.externalEtcd();
    if (ext != null) {
      if (ext.credentialsSecretRef != null) {
        Map<String, String> v =
            values(
                ns,
                ext.credentialsSecretRef.name,
                "spec.etcd.external.credentialsSecretRef",
                problems,
                ExternalEtcdSpec.USERNAME_KEY,
                ExternalEtcdSpec.PASSWORD_KEY);
        etcdUser = v.get(ExternalEtcdSpec.USERNAME_KEY);
        etcdPass = v.get(ExternalEtcdSpec.PASSWORD_KEY);
      }
      if (ext.tlsSecretRef != null) {
        String field = "spec.etcd.external.tlsSecretRef";
        Map<String, String> v = values(ns, ext.tlsSecretRef.name, field, problems, "ca.crt");
        boolean crt = v.containsKey("tls.crt");
        boolean key = v.containsKey("tls.key");
        if (crt != key) {
          problems.add(
              new Problem(
                  Problem.SECRET_KEY_MISSING,
                  "Secret "
                      + ns
                      + "/"
                      + ext.tlsSecretRef.name
                      + " ("
                      + field
                      + ") has only one of tls.crt and tls.key; add both for client"
                      + " certificate authentication, or neither"));
        }
        clientCert = crt && key;
        etcdTls = v;
      }
    }
    PostgresDsn dsn = null;
    String postgresCa = null;
    EffectiveSpec.Postgres pg = spec.postgres();
    if (pg != null) {
      String field = "spec.database.postgres.dsnSecretRef";
      String raw = values(ns, pg.dsn().name, field, problems, pg.dsn().key).get(pg.dsn().key);
      if (raw != null && !raw.isBlank()) {
        try {
          dsn = PostgresDsn.parse(raw);
        } catch (IllegalArgumentException e) {
          problems.add(
              keyProblem(Problem.DATABASE_DSN_INVALID, ns, pg.dsn(), field, ": " + e.getMessage()));
        }
      }
      if (pg.ca() != null) {
        String caField = "spec.database.postgres.caSecretRef";
        postgresCa = values(ns, pg.ca().name, caField, problems, pg.ca().key).get(pg.ca().key);
        if (postgresCa != null && !postgresCa.isBlank() && !isPemCertificate(postgresCa)) {
          problems.add(
              keyProblem(
                  Problem.DATABASE_CERTIFICATE_INVALID,
                  ns,
                  pg.ca(),
                  caField,
                  " is not a PEM certificate; put the CA that signed PostgreSQL's server"
                      + " certificate there"));
          postgresCa = null;
        }
      }
    }
    return new Result(
        new LndConfig.Credentials(
            rpcUser,
            rpcPass,
            rpcCert,
            etcdUser,
            etcdPass,
            clientCert,
            dsn != null ? dsn.forLnd(pg.ca() != null) : null),
        etcdTls,
        dsn,
        postgresCa,
        problems);
  }

  /** A problem with one key's value: "Secret ns/name (field) key k" and what is wrong. */
  private static Problem keyProblem(
      String reason, String ns, SecretKeyRef ref, String field, String what) {
    return new Problem(
        reason, "Secret " + ns + "/" + ref.name + " (" + field + ") key " + ref.key + what);
  }

  /** Whether the text parses as one or more X.509 certificates in PEM. */
  static boolean isPemCertificate(String pem) {
    if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
      return false;
    }
    try {
      var certs =
          java.security.cert.CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
      return !certs.isEmpty();
    } catch (java.security.cert.CertificateException e) {
      return false;
    }
  }

  /**
   * Decoded values of the Secret's keys; records a problem for a missing Secret or for each
   * required key that is absent or empty. Returns every non-empty key found.
   */
  private Map<String, String> values(
      String ns, String name, String field, List<Problem> problems, String... required) {
    Secret s = reads.referencedSecret(ns, name);
    if (s == null) {
      problems.add(
          new Problem(
              Problem.SECRET_NOT_FOUND,
              "Secret "
                  + ns
                  + "/"
                  + name
                  + " referenced by "
                  + field
                  + " not found; create it with the key(s) "
                  + String.join(", ", required)));
      return Map.of();
    }
    Map<String, String> out = new java.util.HashMap<>();
    if (s.getData() != null) {
      s.getData()
          .forEach(
              (k, v) -> {
                if (v != null && !v.isEmpty()) {
                  out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
                }
              });
    }
    if (s.getStringData() != null) {
      s.getStringData()
          .forEach(
              (k, v) -> {
                if (v != null && !v.isEmpty()) out.put(k, v);
              });
    }
    List<String> missing = new ArrayList<>();
    for (String k : required) {
      if (!out.containsKey(k) || out.get(k).isBlank()) {
        missing.add(k);
      }
    }
    if (!missing.isEmpty()) {
      problems.add(
          new Problem(
              Problem.SECRET_KEY_MISSING,
              "Secret "
                  + ns
                  + "/"
                  + name
                  + " referenced by "
                  + field
                  + " has no non-empty key(s) "
                  + String.join(", ", missing)
                  + "; add them"));
    }
    return out;
  }
}
