package dev.operator.lightning.reconcile;

import dev.operator.lightning.model.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every Kubernetes read of a pass. Reads come from informer caches; the API server is asked only
 * when a cache has no copy (an object not created yet, or one the cache has not seen yet), and for
 * the few reads that must be live, named as such. So a pass over an unchanged cluster issues no
 * request at all, and 1,000 clusters cost the API server nothing at steady state.
 *
 * <p>Without caches (a reconciliation called directly, as some tests do) every read is a GET.
 */
public final class ClusterReads {
  private static final Logger log = LoggerFactory.getLogger(ClusterReads.class);

  /**
   * Label the operator puts on the user's Secrets a cluster references, so that one informer with a
   * label selector sees every one of them and no other Secret of the cluster.
   */
  public static final String REFERENCED = Labels.PREFIX + "referenced";

  /** One kind's cache: an informer's store, keyed by namespace and name. */
  public interface Cache<T extends HasMetadata> {
    Optional<T> get(String namespace, String name);

    Stream<T> list(String namespace);

    /**
     * Told of the operator's own write, so that the next pass does not act on the copy from before
     * it while the informer has not yet caught up.
     *
     * @param previous the cached copy the write replaced, or null for a creation
     */
    default void written(HasMetadata owner, T written, T previous) {}
  }

  private final KubernetesClient client;
  private final Map<Class<?>, Cache<?>> caches = new ConcurrentHashMap<>();
  private volatile Cache<Secret> ownedSecrets;
  private volatile Cache<Secret> referencedSecrets;

  public ClusterReads(KubernetesClient client) {
    this.client = client;
  }

  /** Reads through the caches of the owned kinds from now on. */
  public <T extends HasMetadata> ClusterReads cache(Class<T> type, Cache<T> cache) {
    caches.put(type, cache);
    return this;
  }

  /**
   * The Secret caches: those the operator writes (its labels) and the user's ones it references.
   */
  public ClusterReads secrets(Cache<Secret> owned, Cache<Secret> referenced) {
    this.ownedSecrets = owned;
    this.referencedSecrets = referenced;
    return this;
  }

  @SuppressWarnings("unchecked")
  private <T extends HasMetadata> Cache<T> cacheOf(Class<T> type) {
    if (type == Secret.class) {
      return (Cache<T>) ownedSecrets;
    }
    return (Cache<T>) caches.get(type);
  }

  /** The live copy of the object {@code desired} describes, or null if there is none. */
  <T extends HasMetadata> T current(T desired) {
    // Absent from the cache: not created yet, created a moment ago, or someone else's object
    // without our labels. Only the API server can tell, and this is never a steady-state pass.
    return fromCache(desired).orElseGet(() -> client.resource(desired).get());
  }

  /**
   * The copy of {@code object} the cache has, or null: never a request while the kind is cached (a
   * GET only without caches).
   */
  <T extends HasMetadata> T cached(T object) {
    if (cacheOf(object.getClass()) == null) {
      return client.resource(object).get();
    }
    return fromCache(object).orElse(null);
  }

  /** The cached copy of {@code object}; empty on a miss or when its kind has no cache. */
  @SuppressWarnings("unchecked")
  private <T extends HasMetadata> Optional<T> fromCache(T object) {
    Cache<T> cache = cacheOf((Class<T>) object.getClass());
    return cache == null
        ? Optional.empty()
        : cache.get(object.getMetadata().getNamespace(), object.getMetadata().getName());
  }

  /**
   * A Secret the operator writes, as the cache has it: a miss means it does not exist (the
   * operator's own writes reach the cache at once). For reads whose absence only means "not yet",
   * like the read-only macaroon of a wallet the operator did not create.
   */
  Secret ownedSecret(String namespace, String name) {
    if (ownedSecrets == null) {
      return liveSecret(namespace, name);
    }
    return ownedSecrets.get(namespace, name).orElse(null);
  }

  /**
   * A Secret the operator is about to generate if it is missing (the CA, a certificate, the wallet
   * password, the seed, the macaroon root key): a miss is confirmed with the API server, so a cache
   * that has not seen it yet never makes the operator generate it a second time.
   */
  Secret ownedSecretBeforeGenerating(String namespace, String name) {
    return current(
        new SecretBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .endMetadata()
            .build());
  }

  /**
   * A Secret of the user's that the spec points at. Found only through the API server, it is
   * labelled {@link #REFERENCED} so that the informer sees its changes from then on.
   */
  Secret referencedSecret(String namespace, String name) {
    for (Cache<Secret> cache : new Cache[] {referencedSecrets, ownedSecrets}) {
      if (cache != null) {
        Optional<Secret> hit = cache.get(namespace, name);
        if (hit.isPresent()) {
          return hit.get();
        }
      }
    }
    Secret live = liveSecret(namespace, name);
    if (live != null && referencedSecrets != null && !labelled(live)) {
      try {
        client
            .secrets()
            .inNamespace(namespace)
            .withName(name)
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                new SecretBuilder()
                    .withNewMetadata()
                    .addToLabels(REFERENCED, "true")
                    .endMetadata()
                    .build());
      } catch (KubernetesClientException e) {
        // Still usable this pass; its changes are noticed on the periodic pass instead.
        log.warn("could not label Secret {}/{} as referenced: {}", namespace, name, e.getMessage());
      }
    }
    return live;
  }

  private Secret liveSecret(String namespace, String name) {
    return client.secrets().inNamespace(namespace).withName(name).get();
  }

  private static boolean labelled(Secret s) {
    return s.getMetadata().getLabels() != null
        && "true".equals(s.getMetadata().getLabels().get(REFERENCED));
  }

  /** The pods of a namespace that carry the operator's labels. */
  Stream<Pod> pods(String namespace) {
    Cache<Pod> cache = cacheOf(Pod.class);
    if (cache != null) {
      return cache.list(namespace);
    }
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel(Labels.MANAGED_BY, Labels.MANAGER)
        .list()
        .getItems()
        .stream();
  }

  /**
   * The pod as the API server has it now, never a cached copy: what a lease revocation is decided
   * on, because a lagging cache could show a previous pod of the same name, or an earlier state of
   * this one, beside a newer election key.
   */
  Optional<Pod> livePod(String namespace, String name) {
    return Optional.ofNullable(client.pods().inNamespace(namespace).withName(name).get());
  }

  /** Records the operator's own write in the kind's cache. */
  @SuppressWarnings("unchecked")
  <T extends HasMetadata> void written(HasMetadata owner, T written, T previous) {
    if (written == null) {
      return;
    }
    Cache<T> cache = cacheOf((Class<T>) written.getClass());
    if (cache != null) {
      cache.written(owner, written, previous);
    }
  }
}
