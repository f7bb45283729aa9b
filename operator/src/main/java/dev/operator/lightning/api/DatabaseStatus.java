package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The database LND's data lives in, as the operator last checked it. */
public class DatabaseStatus {
  @JsonPropertyDescription("etcd or postgres.")
  public String backend;

  @JsonPropertyDescription(
      "PostgreSQL: host:port and database name from the connection string (never the"
          + " credentials). etcd: the etcd endpoint.")
  public String endpoint;

  @JsonPropertyDescription("PostgreSQL: the TLS mode LND connects with (sslmode).")
  public String sslMode;

  @JsonPropertyDescription("PostgreSQL: whether LND uses its native SQL tables.")
  public Boolean nativeSql;

  @Override
  public boolean equals(Object o) {
    return o instanceof DatabaseStatus d
        && java.util.Objects.equals(backend, d.backend)
        && java.util.Objects.equals(endpoint, d.endpoint)
        && java.util.Objects.equals(sslMode, d.sslMode)
        && java.util.Objects.equals(nativeSql, d.nativeSql);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(backend, endpoint, sslMode, nativeSql);
  }
}
