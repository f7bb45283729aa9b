package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.database.PostgresProbe;
import dev.operator.lightning.harness.LocalCluster;
import dev.operator.lightning.harness.Tools;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.PostgresDsn;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * PostgreSQL on the local cluster from manifests/regtest/postgres.yaml: the official image's
 * behaviour over Debian's server, TLS on with a certificate for its Service's name. Databases for
 * clusters come with a DSN Secret in CloudNativePG's shape ({@code <name>-app}, key uri) and the CA
 * in {@code postgres-ca} (key ca.crt, as CloudNativePG's {@code <cluster>-ca}).
 */
public final class PostgresServer {
  public static final String CA_SECRET = "postgres-ca";
  static final String SUPERUSER = "postgres";

  private final LocalCluster cluster;
  private final String ns;
  private final String superPassword = UUID.randomUUID().toString();
  private final String caPem;

  private PostgresServer(LocalCluster cluster, String ns) {
    this.cluster = cluster;
    this.ns = ns;
    CertificateAuthority ca = CertificateAuthority.generate("local postgres CA");
    this.caPem = ca.certificatePem();
    CertificateAuthority.Issued issued =
        ca.issue(
            new CertificateRequest(
                "postgres-tls",
                "postgres",
                List.of("postgres", host(), "postgres." + ns + ".svc.cluster.local"),
                List.of(),
                true,
                false));
    secret("postgres-tls", "tls.crt", issued.certificatePem(), "tls.key", issued.keyPem());
    secret("postgres-superuser", "password", superPassword);
    secret(CA_SECRET, "ca.crt", caPem);
  }

  /** Creates the pod and its Service and waits until it accepts a verified TLS login. */
  public static PostgresServer deploy(LocalCluster cluster, String ns) {
    PostgresServer pg = new PostgresServer(cluster, ns);
    pg.apply(manifest());
    PostgresProbe probe = new PostgresProbe(Clock.systemUTC());
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              PostgresProbe.Result r =
                  probe.probe(
                      PostgresDsn.parse(pg.dsn(SUPERUSER, SUPERUSER, pg.superPassword)),
                      true,
                      pg.caPem);
              assertThat(r.ok()).as("PostgreSQL at %s: %s", pg.host(), r.message()).isTrue();
            });
    return pg;
  }

  public String host() {
    return "postgres." + ns + ".svc";
  }

  public String caPem() {
    return caPem;
  }

  /**
   * A role and a database of that name for one cluster, and the Secret {@code <name>-app} that
   * points at it as CloudNativePG writes it (uri without sslmode; the cluster adds verify-full
   * through caSecretRef), with the keys the tests need (CloudNativePG's also has host, which would
   * read as a leaked secret to the scan: it is in the status on purpose). Returns the Secret's
   * name.
   */
  public String createDatabase(String name) {
    String password = UUID.randomUUID().toString();
    sql(
        SUPERUSER,
        "CREATE ROLE \"" + name + "\" LOGIN PASSWORD '" + password + "'",
        "CREATE DATABASE \"" + name + "\" OWNER \"" + name + "\"");
    String secret = name + "-app";
    secret(
        secret,
        "uri",
        dsn(name, name, password).replace("?sslmode=verify-full", ""),
        "username",
        name,
        "password",
        password,
        "port",
        "5432",
        "dbname",
        name);
    return secret;
  }

  /** Drops a cluster's database and role: its data is gone as on a lost volume. */
  public void dropDatabase(String name) {
    sql(
        SUPERUSER,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'",
        "DROP DATABASE \"" + name + "\"",
        "DROP ROLE \"" + name + "\"");
  }

  /** Tables in the database's public schema. */
  public List<String> tables(String database) {
    List<String> out = new ArrayList<>();
    try (Connection c = connect(database);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                    + " ORDER BY 1")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("tables of " + database + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** The number of rows of one table. */
  public long rows(String database, String table) {
    try (Connection c = connect(database);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM \"" + table + "\"")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException("rows of " + table + ": " + e.getMessage(), e);
    }
  }

  private void sql(String database, String... statements) {
    try (Connection c = connect(database);
        Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("SQL on " + database + ": " + e.getMessage(), e);
    }
  }

  /** A superuser connection over verified TLS, as the members connect. */
  private Connection connect(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", SUPERUSER);
    p.setProperty("password", superPassword);
    p.setProperty("sslmode", "verify-full");
    p.setProperty(
        "sslfactory", dev.operator.lightning.database.TrustedCaSocketFactory.class.getName());
    p.setProperty(dev.operator.lightning.database.TrustedCaSocketFactory.CA_PROPERTY, caPem);
    p.setProperty("connectTimeout", "5");
    return new org.postgresql.Driver()
        .connect("jdbc:postgresql://" + host() + ":5432/" + database, p);
  }

  private String dsn(String user, String database, String password) {
    return "postgresql://"
        + user
        + ":"
        + password
        + "@"
        + host()
        + ":5432/"
        + database
        + "?sslmode=verify-full";
  }

  private void secret(String name, String... keyValues) {
    SecretBuilder b =
        new SecretBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata();
    for (int i = 0; i < keyValues.length; i += 2) {
      b.addToStringData(keyValues[i], keyValues[i + 1]);
    }
    client().resource(b.build()).create();
  }

  /**
   * The manifest with the machine's postgres user in place of the official image's uid 999:
   * Debian's initdb needs the uid in /etc/passwd.
   */
  private static String manifest() {
    try {
      String yaml =
          Files.readString(Tools.locate().repoRoot().resolve("manifests/regtest/postgres.yaml"));
      String[] user = localPostgresUser();
      return yaml.replace("runAsUser: 999", "runAsUser: " + user[0])
          .replace("runAsGroup: 999", "runAsGroup: " + user[1])
          .replace("fsGroup: 999", "fsGroup: " + user[1]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String[] localPostgresUser() throws IOException {
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] f = line.split(":");
      if (f.length > 3 && f[0].equals("postgres")) {
        return new String[] {f[2], f[3]};
      }
    }
    throw new IllegalStateException(
        "no postgres user on this machine: install Debian's postgresql package (.ci/run)");
  }

  private void apply(String yaml) {
    RegtestChain.create(client(), ns, yaml);
  }

  private KubernetesClient client() {
    return cluster.client();
  }
}
