package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The clusters' status writes, and the status each pass decides against: the one this operator last
 * wrote, which is fresher than an informer cache that has not caught up yet (deciding against the
 * stale one would write twice and repeat events).
 */
final class StatusWrites {
  private final KubernetesClient client;

  /** Cluster key and uid -> the status last written; a recreated cluster starts afresh. */
  private final Map<String, LightningClusterStatus> lastWritten = new ConcurrentHashMap<>();

  StatusWrites(KubernetesClient client) {
    this.client = client;
  }

  /** The status a pass decides against. */
  LightningClusterStatus previous(LightningCluster cluster) {
    return lastWritten.getOrDefault(statusKey(cluster), cluster.getStatus());
  }

  /** Writes the status (server-side apply of the status subresource) and remembers it. */
  void write(LightningCluster cluster, LightningClusterStatus status) {
    LightningCluster patch = new LightningCluster();
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(cluster.getMetadata().getName())
            .withNamespace(cluster.getMetadata().getNamespace())
            .build());
    patch.setStatus(status);
    try {
      client
          .resource(patch)
          .subresource("status")
          .patch(
              new PatchContext.Builder()
                  .withPatchType(PatchType.SERVER_SIDE_APPLY)
                  .withFieldManager(ObjectApplier.FIELD_MANAGER)
                  .withForce(true)
                  .build());
      lastWritten.put(statusKey(cluster), status);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
      // Deleted while this pass ran: there is no status left to write.
      lastWritten.remove(statusKey(cluster));
    }
  }

  /** Forgets the clusters whose keys ({@code namespace/name}) are not kept. */
  void retainOnly(Set<String> keep) {
    lastWritten.keySet().removeIf(k -> !keep.contains(k.substring(0, k.lastIndexOf('/'))));
  }

  private static String statusKey(LightningCluster c) {
    return ElectionStep.key(c) + "/" + c.getMetadata().getUid();
  }
}
