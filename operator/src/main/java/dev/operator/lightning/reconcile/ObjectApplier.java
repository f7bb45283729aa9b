package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.DesiredHash;
import dev.operator.lightning.model.Owned;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Objects;

/**
 * Writes a desired object only when the live one differs. Never touches an object another owner
 * controls: that would harm someone else's cluster.
 */
final class ObjectApplier {
  static final String FIELD_MANAGER = "lightning-operator";

  private final KubernetesClient client;
  private final ClusterReads reads;

  ObjectApplier(KubernetesClient client, ClusterReads reads) {
    this.client = client;
    this.reads = reads;
  }

  /** What apply did; a problem means nothing was written. */
  record Outcome(boolean written, Problem problem) {
    static final Outcome UNCHANGED = new Outcome(false, null);
    static final Outcome WRITTEN = new Outcome(true, null);
  }

  Outcome apply(LightningCluster owner, HasMetadata desired) {
    HasMetadata live = reads.current(desired);
    if (live != null && !Owned.isOwnedBy(live, owner)) {
      return new Outcome(false, conflict(live));
    }
    if (live != null && same(live, desired)) {
      return Outcome.UNCHANGED;
    }
    try {
      reads.written(
          owner,
          client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply(),
          live);
      return Outcome.WRITTEN;
    } catch (KubernetesClientException e) {
      return rejected(
          "rejected",
          desired,
          e,
          "; revert the spec change or delete the object so it can be recreated");
    }
  }

  /**
   * Deletes an object the cluster owns and no longer wants. Only the cache is asked, since an
   * object that is not wanted is usually absent and a pass over an unchanged cluster must not read
   * the API server; the operator's labels keep every object it wrote in its caches.
   */
  Outcome remove(LightningCluster owner, HasMetadata unwanted) {
    HasMetadata live = reads.cached(unwanted);
    if (live == null || !Owned.isOwnedBy(live, owner)) {
      return Outcome.UNCHANGED;
    }
    try {
      // A second pass before the informer sees the deletion finds it gone: nothing is thrown.
      client.resource(live).delete();
      return Outcome.WRITTEN;
    } catch (KubernetesClientException e) {
      return rejected("refused to delete", live, e, "");
    }
  }

  /** A write the API server turned down, as a problem that says what it said. */
  private static Outcome rejected(
      String what, HasMetadata object, KubernetesClientException e, String advice) {
    return new Outcome(
        false,
        new Problem(
            Problem.UPDATE_REJECTED,
            "the API server "
                + what
                + " "
                + describe(object)
                + ": "
                + (e.getStatus() != null ? e.getStatus().getMessage() : e.getMessage())
                + advice));
  }

  /** Creates the object only if it does not exist; never updates it (generated material). */
  Outcome createIfAbsent(LightningCluster owner, HasMetadata desired) {
    HasMetadata live = reads.current(desired);
    if (live == null) {
      try {
        reads.written(owner, client.resource(desired).create(), null);
        return Outcome.WRITTEN;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        // Created since it was read (another pass, or a cache that lagged): it is kept as is.
        live = client.resource(desired).get();
        if (live == null) {
          throw e;
        }
      }
    }
    return Owned.isOwnedBy(live, owner) ? Outcome.UNCHANGED : new Outcome(false, conflict(live));
  }

  private static boolean same(HasMetadata live, HasMetadata desired) {
    if (desired instanceof Secret d && live instanceof Secret l) {
      // Secrets carry no hash annotation: a hash of credentials would leak their guessability.
      return Objects.equals(d.getData(), l.getData());
    }
    String want = DesiredHash.read(desired);
    return want != null && want.equals(DesiredHash.read(live));
  }

  static Problem conflict(HasMetadata live) {
    return new Problem(
        Problem.OBJECT_CONFLICT,
        describe(live)
            + " already exists and is not owned by this LightningCluster; it was left untouched."
            + " Rename the cluster or remove that object");
  }

  static String describe(HasMetadata o) {
    return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }
}
