package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local cluster's storage provisioner: for each PersistentVolumeClaim of the namespace it
 * creates a PersistentVolume reserved for that claim (the kube-controller-manager's volume binder
 * then binds the two, and kube-scheduler places the pod), backed by the claim's folder in the
 * cluster's shared storage, which every node mounts. So a StatefulSet pod finds its data on
 * whichever node it lands, as with network-attached disks.
 */
final class ClaimProvisioner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClaimProvisioner.class);

  private final KubernetesClient client;
  private final String namespace;
  private final Path storage;
  private final Watch watch;

  ClaimProvisioner(KubernetesClient client, String namespace, Path storage) {
    this.client = client;
    this.namespace = namespace;
    this.storage = storage;
    // Every claim comes again as ADDED after a restart of the API server: bound ones are skipped.
    this.watch =
        ResumingWatch.of(
            "claim",
            client.persistentVolumeClaims().inNamespace(namespace),
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, PersistentVolumeClaim claim) {
                if (action == Action.ADDED || action == Action.MODIFIED) {
                  provision(claim);
                }
              }

              @Override
              public void onClose(WatcherException cause) {
                if (cause != null) {
                  log.warn("claim watch closed: {}", cause.toString());
                }
              }
            });
  }

  private void provision(PersistentVolumeClaim claim) {
    if (claim.getSpec().getVolumeName() != null
        || claim.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    String name = claim.getMetadata().getName();
    Quantity size =
        claim.getSpec().getResources() != null
                && claim.getSpec().getResources().getRequests() != null
                && claim.getSpec().getResources().getRequests().get("storage") != null
            ? claim.getSpec().getResources().getRequests().get("storage")
            : new Quantity("1Gi");
    PersistentVolume volume =
        new PersistentVolumeBuilder()
            .withNewMetadata()
            .withName("local-" + namespace + "-" + name)
            .endMetadata()
            .withNewSpec()
            .withCapacity(Map.of("storage", size))
            .withAccessModes(claim.getSpec().getAccessModes())
            .withStorageClassName(
                claim.getSpec().getStorageClassName() == null
                    ? ""
                    : claim.getSpec().getStorageClassName())
            .withPersistentVolumeReclaimPolicy("Retain")
            .withNewHostPath()
            .withPath(storage.resolve(name).toString())
            .withType("DirectoryOrCreate")
            .endHostPath()
            .withNewClaimRef()
            .withNamespace(namespace)
            .withName(name)
            .withUid(claim.getMetadata().getUid())
            .endClaimRef()
            .endSpec()
            .build();
    try {
      client.persistentVolumes().resource(volume).create();
      log.info("volume {} provisioned for claim {}", volume.getMetadata().getName(), name);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        log.warn("cannot provision a volume for claim {}: {}", name, e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    watch.close();
  }
}
