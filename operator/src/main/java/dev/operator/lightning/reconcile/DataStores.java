package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.EffectiveSpec;
import java.util.Collection;
import java.util.Locale;
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
   * @param postgresEndpoint host:port/database of a cluster's PostgreSQL, when it can be read
   * @return the older cluster whose data this one (effective spec {@code mine}) would share
   */
  static Optional<Conflict> conflict(
      LightningCluster self,
      EffectiveSpec mine,
      Collection<LightningCluster> all,
      Function<LightningCluster, Optional<String>> postgresEndpoint) {
    return conflict(self, mine, all, postgresEndpoint, new ClusterFacts());
  }

  static Optional<Conflict> conflict(
      LightningCluster self,
      EffectiveSpec mine,
      Collection<LightningCluster> all,
      Function<LightningCluster, Optional<String>> postgresEndpoint,
      ClusterFacts facts) {
    if (!mine.isPostgres() && mine.isManagedEtcd()) {
      // A managed etcd holds one cluster's data alone.
      return Optional.empty();
    }
    Optional<String> myDatabase =
        mine.isPostgres() ? postgresEndpoint.apply(self).map(DataStores::normal) : Optional.empty();
    if (mine.isPostgres() && myDatabase.isEmpty()) {
      // Unreadable: the reference problem says so, and no member gets a database meanwhile.
      return Optional.empty();
    }
    return facts.oldestOlder(
        self,
        all,
        f ->
            mine.isPostgres()
                ? sharedDatabase(myDatabase.get(), f.cluster(), f.spec(), postgresEndpoint)
                : sharedEtcdNamespace(mine, f.cluster(), f.spec()));
  }

  private static Optional<Conflict> sharedDatabase(
      String database,
      LightningCluster other,
      EffectiveSpec theirs,
      Function<LightningCluster, Optional<String>> postgresEndpoint) {
    if (!theirs.isPostgres()) {
      return Optional.empty();
    }
    return postgresEndpoint
        .apply(other)
        .map(DataStores::normal)
        .filter(database::equals)
        .map(
            d ->
                new Conflict(
                    other,
                    "the PostgreSQL database "
                        + d
                        + " of spec.database.postgres.dsnSecretRef is the database"));
  }

  private static Optional<Conflict> sharedEtcdNamespace(
      EffectiveSpec mine, LightningCluster other, EffectiveSpec theirs) {
    if (theirs.isPostgres()
        || theirs.isManagedEtcd()
        || !normal(mine.etcdEndpoint()).equals(normal(theirs.etcdEndpoint()))) {
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

  /** Host names are case-insensitive. */
  private static String normal(String endpoint) {
    return endpoint.toLowerCase(Locale.ROOT);
  }
}
