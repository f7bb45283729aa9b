package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The local kubelet against a real API server, with the real etcd binary as the container: the
 * environment and volumes a pod declares, its probes with their thresholds, the restart policy,
 * graceful deletion, and a clear refusal of an image it cannot run.
 */
class SandboxKubeletIT {
  private static final String NS = "kubelet";
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static LocalCluster cluster;
  private static KubernetesClient client;

  @BeforeAll
  static void start() {
    cluster = LocalCluster.start(NS);
    client = cluster.client();
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("settings")
                .withNamespace(NS)
                .endMetadata()
                .withData(Map.of("greeting", "hello from a ConfigMap", "port", "2379"))
                .build())
        .create();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void runsTheDeclaredCommandWithItsEnvironmentVolumesAndReadinessProbe() {
    client.resource(etcdPod("solo", List.of(), null, "Always")).create();
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> assertThat(ready(pod("solo"))).as("Ready by its httpGet /readyz probe").isTrue());
    Pod solo = pod("solo");
    assertThat(solo.getStatus().getPodIP()).isEqualTo(cluster.nodes().podIp("solo"));
    assertThat(solo.getSpec().getNodeName())
        .as("bound by kube-scheduler to the node whose kubelet runs it")
        .isEqualTo(cluster.nodes().running("solo").orElseThrow().node().name());

    // $(VAR) in args: etcd serves clients on the ConfigMap's port, under the pod's name.
    assertThat(exec("solo", "wget", "-q", "-O", "-", "http://127.0.0.1:2379/version"))
        .contains("etcdserver");
    String env = exec("solo", "/bin/sh", "-c", "echo $POD_NAME:$POD_IP:$GREETING");
    assertThat(env.trim())
        .isEqualTo("solo:" + solo.getStatus().getPodIP() + ":hello from a ConfigMap");
    assertThat(exec("solo", "cat", "/etc/settings/greeting")).isEqualTo("hello from a ConfigMap");
    // Each pod has its own loopback: etcd answers on 127.0.0.1 inside the pod.
    assertThat(exec("solo", "wget", "-q", "-O", "-", "http://127.0.0.1:2381/readyz"))
        .contains("ok");
    // Cluster DNS: the pod's own name in its subdomain resolves to its pod IP.
    assertThat(exec("solo", "getent", "ahostsv4", "solo.peers." + NS + ".svc"))
        .startsWith(solo.getStatus().getPodIP());

    long started = System.nanoTime();
    client.pods().inNamespace(NS).withName("solo").delete();
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(pod("solo")).as("deleted after SIGTERM").isNull());
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .as("etcd stops on SIGTERM, well within the 30 s grace period")
        .isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aFailingLivenessProbeRestartsTheContainer() {
    client.resource(etcdPod("sick", List.of(), 9, "Always")).create();
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              ContainerStatus cs = container(pod("sick"));
              assertThat(cs.getRestartCount()).as("restarts by the liveness probe").isPositive();
              assertThat(cs.getLastState().getTerminated()).isNotNull();
            });
  }

  @Test
  void restartPolicyNeverLeavesAFailedContainerFailed() {
    client.resource(etcdPod("broken", List.of("--no-such-flag"), null, "Never")).create();
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              Pod p = pod("broken");
              assertThat(p.getStatus().getPhase()).isEqualTo("Failed");
              ContainerStatus cs = container(p);
              assertThat(cs.getRestartCount()).isZero();
              assertThat(cs.getState().getTerminated().getExitCode()).isNotZero();
            });
  }

  @Test
  void anImageWithoutALocalBinaryIsReportedNotFaked() {
    client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("busybox")
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("main")
                .withImage("busybox:1.36")
                .withCommand("sleep", "3600")
                .endContainer()
                .endSpec()
                .build())
        .create();
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              var waiting = container(pod("busybox")).getState().getWaiting();
              assertThat(waiting.getReason()).isEqualTo("CreateContainerConfigError");
              assertThat(waiting.getMessage()).contains("busybox:1.36 has no local binary");
            });
  }

  /** The etcd image with env from the downward API and a ConfigMap, and a ConfigMap volume. */
  private static Pod etcdPod(
      String name, List<String> extraArgs, Integer livenessPort, String restart) {
    var args =
        new java.util.ArrayList<>(
            List.of(
                "--name=$(POD_NAME)",
                "--data-dir=/var/lib/etcd/data",
                "--listen-client-urls=http://0.0.0.0:$(CLIENT_PORT)",
                "--advertise-client-urls=http://$(POD_NAME).peers." + NS + ".svc:$(CLIENT_PORT)",
                "--listen-peer-urls=http://127.0.0.1:2380",
                "--initial-advertise-peer-urls=http://127.0.0.1:2380",
                "--initial-cluster=$(POD_NAME)=http://127.0.0.1:2380",
                "--listen-metrics-urls=http://0.0.0.0:2381"));
    args.addAll(extraArgs);
    var container =
        new io.fabric8.kubernetes.api.model.ContainerBuilder()
            .withName("etcd")
            .withImage("quay.io/coreos/etcd:v3.6.16")
            .withCommand("etcd")
            .withArgs(args)
            .addNewEnv()
            .withName("POD_NAME")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("metadata.name")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("POD_IP")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("status.podIP")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("GREETING")
            .withNewValueFrom()
            .withNewConfigMapKeyRef("greeting", "settings", false)
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("CLIENT_PORT")
            .withNewValueFrom()
            .withNewConfigMapKeyRef("port", "settings", false)
            .endValueFrom()
            .endEnv()
            .addNewVolumeMount()
            .withName("data")
            .withMountPath("/var/lib/etcd")
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("settings")
            .withMountPath("/etc/settings")
            .withReadOnly(true)
            .endVolumeMount()
            .withNewReadinessProbe()
            .withNewHttpGet()
            .withPath("/readyz")
            .withNewPort(2381)
            .endHttpGet()
            .withPeriodSeconds(1)
            .endReadinessProbe();
    if (livenessPort != null) {
      container
          .withNewLivenessProbe()
          .withNewTcpSocket()
          .withNewPort(livenessPort)
          .endTcpSocket()
          .withPeriodSeconds(1)
          .withFailureThreshold(2)
          .endLivenessProbe();
    }
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withHostname(name)
        .withSubdomain("peers")
        .withRestartPolicy(restart)
        .withTerminationGracePeriodSeconds(30L)
        .withContainers(container.build())
        .addNewVolume()
        .withName("data")
        .withNewEmptyDir()
        .endEmptyDir()
        .endVolume()
        .addNewVolume()
        .withName("settings")
        .withNewConfigMap()
        .withName("settings")
        .endConfigMap()
        .endVolume()
        .endSpec()
        .build();
  }

  private static String exec(String pod, String... command) {
    SandboxKubelet.ExecResult r =
        cluster.nodes().exec(pod, List.of(command), Duration.ofSeconds(10));
    assertThat(r.exitCode()).as("%s in %s: %s", List.of(command), pod, r.output()).isZero();
    return r.output();
  }

  private static Pod pod(String name) {
    return client.pods().inNamespace(NS).withName(name).get();
  }

  private static ContainerStatus container(Pod p) {
    assertThat(p.getStatus().getContainerStatuses()).as("container statuses").hasSize(1);
    return p.getStatus().getContainerStatuses().get(0);
  }

  private static boolean ready(Pod p) {
    return p != null
        && p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
