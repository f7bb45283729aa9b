package dev.operator.lightning.reconcile;

import dev.operator.lightning.model.Labels;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the member pods' role labels, for people and tools that select the leader by label. They
 * route nothing (the leader Service's EndpointSlice does), so a refused write is only logged.
 */
final class RoleLabels {
  private static final Logger log = LoggerFactory.getLogger(RoleLabels.class);

  private final KubernetesClient client;

  RoleLabels(KubernetesClient client) {
    this.client = client;
  }

  /** Writes the role labels the plan names (pod name -> role). */
  void label(String namespace, Map<String, String> roleLabels) {
    roleLabels.forEach(
        (pod, role) -> {
          try {
            client
                .pods()
                .inNamespace(namespace)
                .withName(pod)
                .patch(
                    PatchContext.of(PatchType.JSON_MERGE),
                    new PodBuilder()
                        .withNewMetadata()
                        .addToLabels(Labels.ROLE, role)
                        .endMetadata()
                        .build());
          } catch (KubernetesClientException e) {
            log.debug("role label of {} not written: {}", pod, e.getMessage());
          }
        });
  }
}
