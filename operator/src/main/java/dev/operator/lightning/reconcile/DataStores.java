package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.EffectiveSpec;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Whether a cluster's LND data would land where another cluster's already lives. Two LND nodes on
 * one channel database, each elected by its own cluster, are two active nodes with one identity:
 * either can broadcast a commitment the other has revoked, and the peer takes the whole channel. A
 * copied manifest that forgets to change {@code etcd.external.namespace} or the DSN does exactly
 * that, so of two such clusters the older keeps running and the newer starts no member, as for
 * colliding election prefixes.
 */
final class DataStores {
  private DataStores() {}

  /** The newer cluster's problem, phrased for its Degraded condition. */
  record Conflict(LightningCluster other, String what) {
    String message() {
      return what
          + " of LightningCluster "
          + other.getMetadata().getNamespace()
          + "/"
          + other.getMetadata().getName()
          + ", so both LND nodes would write one wallet and channel database, which can lose"
          + " the channels' funds; this cluster starts no member and follows no election."
          + " Recreate it with a data store of its own (the backend, the etcd namespace and the"
          + " connection string's database are what LND writes to)";
    }
  }

  /**
   * @param postgresEndpoint host:port/database of a cluster's PostgreSQL, from its effective spec,
   *     when it can be read
   * @param facts every cluster's effective spec, kept per version
   * @return the older cluster whose data this one (effective spec {@code mine}) would share
   */
  static Optional<Conflict> conflict(
      LightningCluster self,
      EffectiveSpec mine,
      Collection<LightningCluster> all,
      Function<EffectiveSpec, Optional<String>> postgresEndpoint,
      ClusterFacts facts) {
    if (!mine.isPostgres() && mine.isManagedEtcd()) {
      // A managed etcd holds one cluster's data alone.
      return Optional.empty();
    }
    String ns = mine.names().namespace();
    Optional<String> myDatabase =
        mine.isPostgres()
            ? postgresEndpoint.apply(mine).map(d -> StoreEndpoints.normal(d, ns))
            : Optional.empty();
    if (mine.isPostgres() && myDatabase.isEmpty()) {
      // Unreadable: the reference problem says so, and no member gets a database meanwhile.
      return Optional.empty();
    }
    // Two clusters created in the same second are both refused: which one came first is not
    // known, and one of them may already have started its members.
    return facts.oldestOlder(
        self,
        all,
        true,
        f ->
            mine.isPostgres()
                ? sharedDatabase(myDatabase.get(), f.cluster(), f.spec(), postgresEndpoint)
                : sharedEtcdNamespace(mine, f.cluster(), f.spec()));
  }

  private static Optional<Conflict> sharedDatabase(
      String database,
      LightningCluster other,
      EffectiveSpec theirs,
      Function<EffectiveSpec, Optional<String>> postgresEndpoint) {
    if (!theirs.isPostgres()) {
      return Optional.empty();
    }
    // Compared in one spelling per server, shown as the other cluster wrote it.
    return postgresEndpoint
        .apply(theirs)
        .filter(d -> database.equals(StoreEndpoints.normal(d, theirs.names().namespace())))
        .map(
            d ->
                new Conflict(
                    other,
                    "the PostgreSQL database of spec.database.postgres.dsnSecretRef is "
                        + d
                        + ", the database"));
  }

  private static Optional<Conflict> sharedEtcdNamespace(
      EffectiveSpec mine, LightningCluster other, EffectiveSpec theirs) {
    if (theirs.isPostgres()
        || theirs.isManagedEtcd()
        || !StoreEndpoints.normal(mine.etcdEndpoint(), mine.names().namespace())
            .equals(StoreEndpoints.normal(theirs.etcdEndpoint(), theirs.names().namespace()))) {
      return Optional.empty();
    }
    // LND puts its namespace in front of every key, without a separator: "a" reads "ab..." too.
    String ns = Objects.requireNonNullElse(mine.etcdNamespace(), "");
    String theirNs = Objects.requireNonNullElse(theirs.etcdNamespace(), "");
    String relation =
        ns.equals(theirNs)
            ? "equal to"
            : theirNs.startsWith(ns) ? "a parent of" : ns.startsWith(theirNs) ? "inside" : null;
    if (relation == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Conflict(
            other,
            "the etcd key namespace "
                + shown(ns)
                + " (etcd.external.namespace) on "
                + mine.etcdEndpoint()
                + " is "
                + relation
                + " the namespace "
                + shown(theirNs)));
  }

  private static String shown(String namespace) {
    return namespace.isEmpty() ? "(none: the whole key space)" : "'" + namespace + "'";
  }
}
