package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A real kube-apiserver stopped and started again: the cluster's state is still there (its etcd was
 * not stopped with it), clients reach it at the same address, a resuming watch sees changes made
 * after its return, and closing the control plane stops the restarted process too.
 */
class ApiServerOutageIT {
  @Test
  void theApiServerComesBackWithItsStateAndNoProcessOutlivesTheControlPlane() throws Exception {
    ControlPlane cp = ControlPlane.start();
    long restarted;
    try (KubernetesClient client = cp.newClient()) {
      var kept = client.configMaps().inNamespace("default").withName("kept");
      client.resource(configMap("before")).create();
      List<String> seen = new CopyOnWriteArrayList<>();
      try (ResumingWatch<ConfigMap> watch = ResumingWatch.of("config map", kept, recording(seen))) {
        long before = cp.apiServerPid();
        ApiServerOutage outage = cp.stopApiServer();
        assertThat(ProcessHandle.of(before)).as("the stopped process").isEmpty();
        outage.close();
        assertThat(outage.back()).isAfter(outage.stopped());
        restarted = cp.apiServerPid();
        assertThat(restarted).isNotEqualTo(before);

        assertThat(kept.get().getData()).containsEntry("v", "before");
        watch.restart();
        kept.edit(c -> configMap("after"));
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains("after"));
      }
    } finally {
      cp.close();
    }
    assertThat(ProcessHandle.of(restarted).filter(ProcessHandle::isAlive))
        .as("the restarted kube-apiserver after close")
        .isEmpty();
  }

  private static ConfigMap configMap(String value) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName("kept")
        .withNamespace("default")
        .endMetadata()
        .withData(Map.of("v", value))
        .build();
  }

  private static Watcher<ConfigMap> recording(List<String> seen) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, ConfigMap cm) {
        seen.add(cm.getData().get("v"));
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }
}
