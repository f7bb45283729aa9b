package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on a LightningCluster, shown by {@code kubectl describe lnc}. The log line is
 * written at once; the POST is handed to a {@link EventSender}, so a pass never waits for it.
 */
final class ClusterEvents {
  static final String COMPONENT = "lightning-operator";
  private static final Logger log = LoggerFactory.getLogger(ClusterEvents.class);

  private final KubernetesClient client;
  private final Clock clock;
  private final EventSender sender;

  ClusterEvents(KubernetesClient client, Clock clock, EventSender sender) {
    this.client = client;
    this.clock = clock;
    this.sender = sender;
  }

  void normal(LightningCluster cluster, String reason, String message) {
    emit(cluster, "Normal", reason, message);
  }

  void warning(LightningCluster cluster, String reason, String message) {
    emit(cluster, "Warning", reason, message);
  }

  private void emit(LightningCluster cluster, String type, String reason, String message) {
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    String namespace = cluster.getMetadata().getNamespace();
    String name = cluster.getMetadata().getName();
    log.info("{}/{} {} {}: {}", namespace, name, type, reason, message);
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withGenerateName(name + ".")
            .withNamespace(namespace)
            .endMetadata()
            .withNewInvolvedObject()
            .withApiVersion(cluster.getApiVersion())
            .withKind(cluster.getKind())
            .withName(name)
            .withNamespace(namespace)
            .withUid(cluster.getMetadata().getUid())
            .endInvolvedObject()
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withCount(1)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .build();
    sender.send(namespace + "/" + name, () -> post(namespace, name, reason, event));
  }

  private void post(String namespace, String name, String reason, Event event) {
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (KubernetesClientException e) {
      // An event that cannot be written must not fail the reconcile it describes.
      log.warn("cannot record event {} on {}/{}: {}", reason, namespace, name, e.getMessage());
    }
  }
}
