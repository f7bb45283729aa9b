package dev.operator.lightning.api;

/** Where LND keeps its data. The leader election always runs on etcd. */
public enum DatabaseBackend {
  /** LND's data and its election in etcd (spec.etcd). */
  etcd,
  /** LND's data in PostgreSQL (spec.database.postgres); etcd holds only the election. */
  postgres
}
