package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * An existing PostgreSQL database for LND's data. The operator does not run PostgreSQL: point it at
 * one (CloudNativePG's {@code <cluster>-app} Secret works unchanged).
 */
public class PostgresSpec {
  public static final String DEFAULT_DSN_KEY = "uri";
  public static final String DEFAULT_CA_KEY = "ca.crt";
  public static final int DEFAULT_MAX_CONNECTIONS = 50;

  @Required
  @JsonPropertyDescription(
      "Secret key holding the connection string (key defaults to uri, the key CloudNativePG"
          + " writes into its <cluster>-app Secret): a URL postgres://user:password@host:5432/db"
          + "?sslmode=verify-full or key=value pairs. It reaches LND only inside lnd.conf, itself"
          + " a Secret. sslrootcert, sslcert and sslkey are not read from it: give the CA as"
          + " caSecretRef.")
  public SecretKeyRef dsnSecretRef;

  @JsonPropertyDescription(
      "Secret key holding the CA certificate (PEM) that signed the server's certificate (key"
          + " defaults to ca.crt, as in CloudNativePG's <cluster>-ca Secret). Mounted into the"
          + " members' trust store; a connection string without sslmode then gets"
          + " sslmode=verify-full.")
  public SecretKeyRef caSecretRef;

  @Min(1)
  @Max(1000)
  @Default("50")
  @JsonPropertyDescription(
      "Most connections each LND member opens (db.postgres.maxconnections). Only the leader"
          + " opens the database. 1 to 1000, LND's default 50.")
  public Integer maxConnections = DEFAULT_MAX_CONNECTIONS;

  @Min(0)
  @Max(3600)
  @JsonPropertyDescription(
      "Connection timeout in seconds (db.postgres.timeout); 0 or absent: none, LND's default.")
  public Integer timeoutSeconds;

  @Default("false")
  @ValidationRule(
      value = "self || !oldSelf",
      message =
          "database.postgres.nativeSql cannot be turned off: LND moved its data into native SQL"
              + " tables, which it does not read back into the key-value layout")
  @JsonPropertyDescription(
      "Let LND move its invoices, payments and graph into native SQL tables"
          + " (db.use-native-sql). One-way: once on it cannot be turned off.")
  public Boolean nativeSql = false;
}
