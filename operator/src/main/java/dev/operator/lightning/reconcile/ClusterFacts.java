package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.EffectiveSpec;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What the checks against other clusters need of each cluster, computed once per version of it.
 * Every pass compares its cluster with every other one (shared election prefixes and data stores);
 * building each other cluster's effective spec and parsing its creation time on every pass made a
 * full round of passes cost N * N of both, which at 1,000 clusters kept two cores busy.
 */
final class ClusterFacts {
  /**
   * @param spec null when the spec cannot be resolved (the schema let through something that names
   *     no etcd): such a cluster shares nothing
   */
  record Facts(
      LightningCluster cluster, String resourceVersion, Instant created, EffectiveSpec spec) {
    String key() {
      return cluster.getMetadata().getNamespace() + "/" + cluster.getMetadata().getName();
    }
  }

  /** Creation time, then namespace and name: the same order on every pass and every replica. */
  static final Comparator<Facts> OLDER_FIRST =
      Comparator.comparing(Facts::created).thenComparing(Facts::key);

  private final Map<String, Facts> byUid = new ConcurrentHashMap<>();

  Facts of(LightningCluster c) {
    String uid = Objects.requireNonNullElse(c.getMetadata().getUid(), "");
    String version = c.getMetadata().getResourceVersion();
    Facts f = byUid.get(uid);
    if (f != null && version != null && version.equals(f.resourceVersion())) {
      return f;
    }
    String ts = c.getMetadata().getCreationTimestamp();
    EffectiveSpec spec;
    try {
      spec = EffectiveSpec.of(c);
    } catch (RuntimeException e) {
      spec = null;
    }
    f = new Facts(c, version, ts == null ? Instant.MAX : Instant.parse(ts), spec);
    if (!uid.isEmpty()) {
      byUid.put(uid, f);
    }
    return f;
  }

  /**
   * Of the clusters older than {@code self}, the oldest for which {@code conflict} finds something:
   * the one that keeps running.
   *
   * @param tiesConflict whether a cluster created in the same second counts as older (creation
   *     times have whole seconds, so the order within one is a guess)
   */
  <T> Optional<T> oldestOlder(
      LightningCluster self,
      Collection<LightningCluster> all,
      boolean tiesConflict,
      Function<Facts, Optional<T>> conflict) {
    Facts me = of(self);
    Facts found = null;
    T result = null;
    for (LightningCluster o : all) {
      if (Objects.equals(o.getMetadata().getUid(), self.getMetadata().getUid())) {
        continue;
      }
      Facts f = of(o);
      boolean older =
          OLDER_FIRST.compare(f, me) < 0 || (tiesConflict && f.created().equals(me.created()));
      if (f.spec() == null || !older || (found != null && OLDER_FIRST.compare(f, found) >= 0)) {
        continue;
      }
      Optional<T> c = conflict.apply(f);
      if (c.isPresent()) {
        found = f;
        result = c.get();
      }
    }
    return Optional.ofNullable(result);
  }

  /** Forgets clusters that no longer exist. */
  void retainOnly(Set<String> uids) {
    byUid.keySet().retainAll(uids);
  }
}
