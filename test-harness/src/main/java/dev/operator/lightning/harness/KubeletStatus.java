package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Writes the status a kubelet (for pods) or the StatefulSet controller would write, for tests that
 * run only a kube-apiserver. Nothing here runs a process.
 */
public final class KubeletStatus {
  private KubeletStatus() {}

  /** Marks the pod Running on the given IP, Ready or not, as a kubelet would after probes. */
  public static Pod setPod(KubernetesClient client, Pod pod, String ip, boolean ready) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Pod live = client.resource(pod).get();
    live.setStatus(
        new PodStatusBuilder()
            .withPhase("Running")
            .withPodIP(ip)
            .addNewPodIP(ip)
            .withHostIP("127.0.0.1")
            .withStartTime(now)
            .withConditions(
                new PodConditionBuilder()
                    .withType("Ready")
                    .withStatus(ready ? "True" : "False")
                    .withLastTransitionTime(now)
                    .build())
            .withContainerStatuses(
                live.getSpec().getContainers().stream()
                    .map(
                        c ->
                            new ContainerStatusBuilder()
                                .withName(c.getName())
                                .withImage(c.getImage())
                                .withReady(ready)
                                .withRestartCount(0)
                                .withStarted(true)
                                .withNewState()
                                .withNewRunning(now)
                                .endState()
                                .build())
                    .toList())
            .build());
    return client.resource(live).updateStatus();
  }

  /** Sets the ready member count a StatefulSet controller would report. */
  public static StatefulSet setStatefulSetReady(
      KubernetesClient client, StatefulSet sts, int ready) {
    StatefulSet live = client.resource(sts).get();
    live.setStatus(
        new StatefulSetStatusBuilder()
            .withReplicas(live.getSpec().getReplicas())
            .withReadyReplicas(ready)
            .withAvailableReplicas(ready)
            .withCurrentReplicas(live.getSpec().getReplicas())
            .withObservedGeneration(live.getMetadata().getGeneration())
            .build());
    return client.resource(live).updateStatus();
  }
}
