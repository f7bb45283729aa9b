package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.EffectiveSpec;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a cluster's election would see another cluster's keys. Go's election lists {@code
 * <namespace><prefix>/}, so on one etcd two clusters collide when their prefixes are equal or one
 * lies inside the other ({@code /x} lists {@code /x/y/...}): LND's members would then wait behind
 * the other cluster's leader. Of two colliding clusters the older keeps running and the newer is
 * refused, so a new cluster can never disturb one that already runs.
 */
final class ElectionPrefixes {
  private ElectionPrefixes() {}

  /**
   * @param other the older cluster whose election this one would share
   * @param relation how this cluster's prefix relates to the other's
   */
  record Conflict(LightningCluster other, String relation, String prefix, String otherPrefix) {
    String message() {
      return "the election prefix "
          + prefix
          + " is "
          + relation
          + " the prefix "
          + otherPrefix
          + " of LightningCluster "
          + other.getMetadata().getNamespace()
          + "/"
          + other.getMetadata().getName()
          + " on the same etcd, so their elections would see each other's keys; this cluster"
          + " starts no member and follows no election. Recreate it with an election.keyPrefix"
          + " that shares no keys with the other's (both are immutable)";
    }
  }

  /** The etcd keys the election of a cluster lists: namespace, prefix and Go's "/". */
  static String listed(EffectiveSpec spec) {
    return Objects.requireNonNullElse(spec.etcdNamespace(), "") + spec.electionPrefix() + "/";
  }

  /** Where the default election prefixes of every cluster live, below the etcd key namespace. */
  static final String SHARED_ROOT = "/lightning-operator/";

  /**
   * The prefix the operator watches to follow this cluster's election: the shared root below the
   * key namespace when the election lies under it, so that every cluster on one etcd and namespace
   * (the usual case with the data in PostgreSQL) shares one watch stream; otherwise the election's
   * own prefix, and always with etcd authentication (a user may be granted its election's keys
   * alone, and the clients differ anyway). Nothing else lives under the root: LND's own keys start
   * with a bucket's hash.
   */
  static String watchRoot(EffectiveSpec spec) {
    if (spec.isManagedEtcd()
        || !spec.electionPrefix().startsWith(SHARED_ROOT)
        // An etcd user (or client certificate) may be granted its election's keys alone.
        || spec.externalEtcd().credentialsSecretRef != null
        || spec.externalEtcd().tlsSecretRef != null) {
      return listed(spec);
    }
    return Objects.requireNonNullElse(spec.etcdNamespace(), "") + SHARED_ROOT;
  }

  /**
   * The older cluster this one (of effective spec {@code mine}) collides with, if any.
   *
   * @param facts every cluster's effective spec, kept per version
   */
  static Optional<Conflict> conflict(
      LightningCluster self,
      EffectiveSpec mine,
      Collection<LightningCluster> all,
      ClusterFacts facts) {
    if (mine.isManagedEtcd()) {
      // A managed etcd serves one cluster alone.
      return Optional.empty();
    }
    String prefix = listed(mine);
    String endpoint = StoreEndpoints.normal(mine.etcdEndpoint(), mine.names().namespace());
    return facts.oldestOlder(self, all, false, f -> conflictWith(prefix, endpoint, f));
  }

  private static Optional<Conflict> conflictWith(
      String prefix, String endpoint, ClusterFacts.Facts other) {
    EffectiveSpec theirs = other.spec();
    if (theirs.isManagedEtcd()
        || !endpoint.equals(
            StoreEndpoints.normal(theirs.etcdEndpoint(), theirs.names().namespace()))) {
      return Optional.empty();
    }
    String otherPrefix = listed(theirs);
    String relation =
        prefix.equals(otherPrefix)
            ? "equal to"
            : otherPrefix.startsWith(prefix)
                ? "a parent of"
                : prefix.startsWith(otherPrefix) ? "inside" : null;
    return relation == null
        ? Optional.empty()
        : Optional.of(new Conflict(other.cluster(), relation, prefix, otherPrefix));
  }
}
