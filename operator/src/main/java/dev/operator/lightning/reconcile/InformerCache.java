package dev.operator.lightning.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Optional;
import java.util.stream.Stream;

/** A JOSDK informer event source read as one kind's cache of a pass. */
final class InformerCache<T extends HasMetadata> implements ClusterReads.Cache<T> {
  private final InformerEventSource<T, ?> source;

  InformerCache(InformerEventSource<T, ?> source) {
    this.source = source;
  }

  @Override
  public Optional<T> get(String namespace, String name) {
    return source.get(new ResourceID(name, namespace));
  }

  @Override
  public Stream<T> list(String namespace) {
    return source.list(namespace, x -> true);
  }

  /**
   * JOSDK keeps the written copy until the informer delivers a version at least as new, and does
   * not wake the owner for the event of its own write.
   */
  @Override
  public void written(HasMetadata owner, T written, T previous) {
    ResourceID primary = ResourceID.fromResource(owner);
    if (previous == null) {
      source.handleRecentResourceCreate(primary, written);
    } else {
      source.handleRecentResourceUpdate(primary, written, previous);
    }
  }
}
