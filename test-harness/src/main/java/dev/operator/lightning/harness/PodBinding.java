package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** What the scheduler does, for the harness kubelets: binds a pod to their node. */
final class PodBinding {
  private PodBinding() {}

  /** Binds the pod; true if it is bound now (also when it already was). */
  static boolean bind(KubernetesClient client, String namespace, String pod, String node) {
    try {
      client
          .bindings()
          .inNamespace(namespace)
          .resource(
              new BindingBuilder()
                  .withNewMetadata()
                  .withName(pod)
                  .endMetadata()
                  .withNewTarget()
                  .withKind("Node")
                  .withName(node)
                  .endTarget()
                  .build())
          .create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return true;
      }
      org.slf4j.LoggerFactory.getLogger(PodBinding.class)
          .warn("cannot bind {}/{}: {}", namespace, pod, e.getMessage());
      return false;
    }
  }
}
