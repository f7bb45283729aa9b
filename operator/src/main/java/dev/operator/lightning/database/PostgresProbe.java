package dev.operator.lightning.database;

import dev.operator.lightning.model.PostgresDsn;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connects to PostgreSQL as an LND member will, before any member is given the connection string:
 * the server is reachable, its certificate verifies under the string's sslmode against the CA of
 * caSecretRef, and the credentials and database are accepted. LND exits at start when any of these
 * fails, so a wrong value rolled onto the members would take them down one by one; the operator
 * refuses it instead. It connects from the operator's pod, not the members': a NetworkPolicy that
 * lets one through and not the other is not seen here.
 */
public final class PostgresProbe {
  public static final Duration TIMEOUT = Duration.ofSeconds(2);

  /** A server found healthy is not dialled again for this long: a pass runs every few seconds. */
  static final Duration SUCCESS_KEPT = Duration.ofSeconds(60);

  public static final String UNREACHABLE = "DatabaseUnreachable";
  public static final String CERTIFICATE_REJECTED = "DatabaseCertificateRejected";
  public static final String CREDENTIALS_REJECTED = "DatabaseCredentialsRejected";
  public static final String DATABASE_NOT_FOUND = "DatabaseNotFound";

  /** What the probe found; {@code reason} is a condition reason, null when all is well. */
  public record Result(String reason, String message) {
    public static final Result OK = new Result(null, null);

    public boolean ok() {
      return reason == null;
    }
  }

  /** What a healthy result was found for: the exact string the members get and their CA. */
  private record Target(String dsn, String caPem) {}

  private final Clock clock;
  private final Map<Target, Instant> healthySince = new ConcurrentHashMap<>();

  public PostgresProbe(Clock clock) {
    this.clock = clock;
  }

  /**
   * @param caPem the CA the members trust for this server (caSecretRef), or null for the platform's
   *     roots
   */
  public Result probe(PostgresDsn dsn, boolean caMounted, String caPem) {
    Target key = new Target(dsn.forLnd(caMounted), caPem);
    Instant seen = healthySince.get(key);
    Instant now = clock.instant();
    if (seen != null && Duration.between(seen, now).compareTo(SUCCESS_KEPT) < 0) {
      return Result.OK;
    }
    Result r = connect(dsn, caMounted, caPem);
    if (r.ok()) {
      if (healthySince.size() > 1024) {
        healthySince.clear(); // servers of clusters long gone: start over
      }
      healthySince.put(key, now);
    } else {
      healthySince.remove(key);
    }
    return r;
  }

  private static Result connect(PostgresDsn dsn, boolean caMounted, String caPem) {
    String where = dsn.host() + ":" + dsn.port();
    String mode = dsn.sslMode(caMounted);
    Properties props = new Properties();
    props.setProperty("user", dsn.user());
    if (dsn.password() != null) {
      props.setProperty("password", dsn.password());
    }
    props.setProperty("sslmode", mode);
    if (mode.startsWith("verify-")) {
      if (caPem != null) {
        props.setProperty("sslfactory", TrustedCaSocketFactory.class.getName());
        props.setProperty(TrustedCaSocketFactory.CA_PROPERTY, caPem);
      } else {
        props.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
      }
    } else if (!mode.equals("disable")) {
      // LND (pgx) encrypts but does not verify in these modes; neither does the probe.
      props.setProperty("sslfactory", "org.postgresql.ssl.NonValidatingFactory");
    }
    props.setProperty("connectTimeout", Long.toString(TIMEOUT.toSeconds()));
    props.setProperty("loginTimeout", Long.toString(TIMEOUT.toSeconds() + 1));
    props.setProperty("socketTimeout", Long.toString(TIMEOUT.toSeconds() + 1));
    props.setProperty("ApplicationName", "lightning-operator-probe");
    String host = dsn.host().contains(":") ? "[" + dsn.host() + "]" : dsn.host();
    String url =
        "jdbc:postgresql://"
            + host
            + ":"
            + dsn.port()
            + "/"
            + java.net.URLEncoder.encode(dsn.database(), java.nio.charset.StandardCharsets.UTF_8);
    try (Connection c = new org.postgresql.Driver().connect(url, props);
        Statement st = c.createStatement()) {
      st.execute("SELECT 1");
      return Result.OK;
    } catch (SQLException e) {
      return classify(e, where, dsn, mode);
    } catch (RuntimeException e) {
      return new Result(UNREACHABLE, "PostgreSQL at " + where + " could not be probed: " + e);
    }
  }

  static Result classify(SQLException e, String where, PostgresDsn dsn, String mode) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.equals("28P01") || state.equals("28000")) {
      return new Result(
          CREDENTIALS_REJECTED,
          "PostgreSQL at "
              + where
              + " refused user "
              + dsn.user()
              + " (SQLSTATE "
              + state
              + "); check the password in the connection string and pg_hba.conf");
    }
    if (state.equals("3D000")) {
      return new Result(
          DATABASE_NOT_FOUND,
          "PostgreSQL at "
              + where
              + " has no database "
              + dsn.database()
              + "; create it (LND creates its tables, not the database)");
    }
    String text = String.valueOf(e.getMessage());
    if (dev.operator.lightning.pki.TlsFailures.certificateRejected(e)
        || text.contains("could not be verified")
        || text.contains("does not support SSL")) {
      return new Result(
          CERTIFICATE_REJECTED,
          "PostgreSQL at "
              + where
              + (text.contains("does not support SSL")
                  ? " does not offer TLS, which sslmode " + mode + " requires"
                  : " presented a certificate that does not verify under sslmode "
                      + mode
                      + " (against spec.database.postgres.caSecretRef, for this host name)"));
    }
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return new Result(
        UNREACHABLE,
        "PostgreSQL at "
            + where
            + " is unreachable: "
            + root.getClass().getSimpleName()
            + (root.getMessage() != null ? " " + root.getMessage() : ""));
  }
}
