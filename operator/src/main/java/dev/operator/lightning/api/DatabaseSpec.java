package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** Where LND keeps its data: etcd (with the election) or PostgreSQL (etcd for the election). */
@ValidationRule(
    value = "self.backend != 'postgres' || has(self.postgres)",
    message =
        "database.postgres is required when database.backend is postgres: set its dsnSecretRef")
@ValidationRule(
    value = "self.backend == 'postgres' || !has(self.postgres)",
    message =
        "database.postgres is only read with database.backend postgres; remove it or set the"
            + " backend (on a new cluster: the backend is immutable)")
public class DatabaseSpec {
  @Default("etcd")
  @JsonPropertyDescription(
      "Where LND keeps its wallet, channels and graph: etcd (default; the etcd of spec.etcd holds"
          + " data and election) or postgres (spec.database.postgres holds the data, spec.etcd"
          + " only the leader election). Immutable: LND's data does not move between backends.")
  public DatabaseBackend backend = DatabaseBackend.etcd;

  @JsonPropertyDescription("The PostgreSQL database LND uses when backend is postgres.")
  public PostgresSpec postgres;
}
