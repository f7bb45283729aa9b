package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * What a scheduler and a kubelet ask of the API server for the harness kubelets: binding a pod to
 * their node, and confirming a pod's deletion once its containers have stopped.
 */
final class KubeletRequests {
  private KubeletRequests() {}

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
      org.slf4j.LoggerFactory.getLogger(KubeletRequests.class)
          .warn("cannot bind {}/{}: {}", namespace, pod, e.getMessage());
      return false;
    }
  }

  /**
   * Removes the pod object with grace period 0, as a kubelet does after its containers stopped,
   * with a UID precondition: a StatefulSet may already have created a new pod of the same name,
   * which must not be deleted in its place.
   */
  static void confirmDeletion(KubernetesClient client, String namespace, String pod, String uid) {
    String body =
        "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,"
            + "\"preconditions\":{\"uid\":\""
            + uid
            + "\"}}";
    String url =
        client.getMasterUrl().toString().replaceAll("/$", "")
            + "/api/v1/namespaces/"
            + namespace
            + "/pods/"
            + pod;
    try {
      var http = client.getHttpClient();
      var request =
          http.newHttpRequestBuilder().uri(url).method("DELETE", "application/json", body).build();
      var response =
          http.sendAsync(request, String.class).get(10, java.util.concurrent.TimeUnit.SECONDS);
      // 404: already gone; 409: the name now belongs to a new pod. Both mean: done.
      if (response.code() >= 300 && response.code() != 404 && response.code() != 409) {
        org.slf4j.LoggerFactory.getLogger(KubeletRequests.class)
            .warn(
                "final delete of {}/{}: HTTP {} {}",
                namespace,
                pod,
                response.code(),
                response.body());
      }
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(KubeletRequests.class)
          .warn("final delete of {}/{}: {}", namespace, pod, e.toString());
    }
  }

  /**
   * Merges a pod status into the pod's status subresource, as a kubelet reports it; a pod that is
   * gone by then has no status left to write.
   */
  static void writeStatus(
      KubernetesClient client,
      String namespace,
      String pod,
      io.fabric8.kubernetes.api.model.Pod patch) {
    try {
      client
          .pods()
          .inNamespace(namespace)
          .withName(pod)
          .subresource("status")
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              patch);
    } catch (KubernetesClientException e) {
      org.slf4j.LoggerFactory.getLogger(KubeletRequests.class)
          .debug("status of {}/{} not written: {}", namespace, pod, e.getMessage());
    }
  }
}
