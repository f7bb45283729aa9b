package dev.operator.lightning.it;

import dev.operator.lightning.model.Labels;
import dev.operator.lightning.reconcile.ClusterReads;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Informer caches of one namespace with the operator's selectors, for a reconciliation called
 * directly: what the running operator's event sources give a pass.
 */
final class CachedReads implements AutoCloseable {
  private final KubernetesClient informing;
  private final String ns;
  private final List<SharedIndexInformer<? extends HasMetadata>> informers = new ArrayList<>();
  private final ClusterReads reads;
  private final Map<Class<?>, ClusterReads.Cache<?>> caches = new java.util.HashMap<>();

  /**
   * @param informing the client the informers list and watch with (not the counted one)
   * @param passClient the client of the pass's own reads and writes
   */
  CachedReads(KubernetesClient informing, KubernetesClient passClient, String ns) {
    this.informing = informing;
    this.ns = ns;
    this.reads = new ClusterReads(passClient);
    reads.cache(Pod.class, owned(Pod.class));
    reads.cache(StatefulSet.class, owned(StatefulSet.class));
    reads.cache(Service.class, owned(Service.class));
    reads.cache(EndpointSlice.class, owned(EndpointSlice.class));
    reads.cache(PodDisruptionBudget.class, owned(PodDisruptionBudget.class));
    reads.cache(NetworkPolicy.class, owned(NetworkPolicy.class));
    reads.secrets(
        owned(Secret.class), cache(Secret.class, Map.of(ClusterReads.REFERENCED, "true")));
  }

  ClusterReads reads() {
    return reads;
  }

  /** The informer cache of one owned kind. */
  @SuppressWarnings("unchecked")
  <T extends HasMetadata> ClusterReads.Cache<T> cache(Class<T> type) {
    return (ClusterReads.Cache<T>) caches.get(type);
  }

  private <T extends HasMetadata> ClusterReads.Cache<T> owned(Class<T> type) {
    ClusterReads.Cache<T> c = cache(type, Map.of(Labels.MANAGED_BY, Labels.MANAGER));
    caches.put(type, c);
    return c;
  }

  private <T extends HasMetadata> ClusterReads.Cache<T> cache(
      Class<T> type, Map<String, String> labels) {
    SharedIndexInformer<T> informer =
        informing.resources(type).inNamespace(ns).withLabels(labels).inform();
    informers.add(informer);
    return new ClusterReads.Cache<>() {
      @Override
      public Optional<T> get(String namespace, String name) {
        return Optional.ofNullable(informer.getStore().getByKey(namespace + "/" + name));
      }

      @Override
      public Stream<T> list(String namespace) {
        return informer.getStore().list().stream()
            .filter(o -> namespace.equals(o.getMetadata().getNamespace()));
      }
    };
  }

  /** Name and resource version of every cached object, to compare with the API server's. */
  Map<String, String> versions() {
    Map<String, String> m = new TreeMap<>();
    for (SharedIndexInformer<? extends HasMetadata> i : informers) {
      for (HasMetadata o : i.getStore().list()) {
        m.put(key(o), o.getMetadata().getResourceVersion());
      }
    }
    return m;
  }

  /** The same, listed from the API server now. */
  Map<String, String> liveVersions() {
    Map<String, String> m = new TreeMap<>();
    for (Class<? extends HasMetadata> type :
        List.of(
            Pod.class,
            StatefulSet.class,
            Service.class,
            EndpointSlice.class,
            PodDisruptionBudget.class,
            NetworkPolicy.class,
            Secret.class)) {
      informing.resources(type).inNamespace(ns).list().getItems().stream()
          .filter(
              o ->
                  o.getMetadata().getLabels() != null
                      && (Labels.MANAGER.equals(o.getMetadata().getLabels().get(Labels.MANAGED_BY))
                          || "true"
                              .equals(o.getMetadata().getLabels().get(ClusterReads.REFERENCED))))
          .forEach(o -> m.put(key(o), o.getMetadata().getResourceVersion()));
    }
    return m;
  }

  private static String key(HasMetadata o) {
    return o.getKind() + " " + o.getMetadata().getName();
  }

  static String names(Map<String, String> versions) {
    return versions.keySet().stream().collect(Collectors.joining(", "));
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
