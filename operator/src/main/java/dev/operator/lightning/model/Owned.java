package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.Map;

/** Metadata of an object owned by a cluster: owner reference (so deletion cascades), labels. */
public final class Owned {
  private Owned() {}

  public static OwnerReference ownerReference(LightningCluster cluster) {
    return new OwnerReferenceBuilder()
        .withApiVersion(cluster.getApiVersion())
        .withKind(cluster.getKind())
        .withName(cluster.getMetadata().getName())
        .withUid(cluster.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  public static ObjectMeta meta(LightningCluster cluster, String name, Map<String, String> labels) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(cluster.getMetadata().getNamespace())
        .withLabels(labels)
        .withOwnerReferences(ownerReference(cluster))
        .build();
  }

  /** Whether this cluster (by uid) controls the object. */
  public static boolean isOwnedBy(HasMetadata object, LightningCluster cluster) {
    return object.getMetadata().getOwnerReferences() != null
        && object.getMetadata().getOwnerReferences().stream()
            .anyMatch(r -> cluster.getMetadata().getUid().equals(r.getUid()));
  }
}
