package dev.operator.lightning.harness;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A local Kubernetes cluster with one node, for one namespace: a real kube-apiserver and
 * kube-controller-manager, the pod network with cluster DNS and a user-space service proxy, and the
 * {@link SandboxKubelet} running every pod of the namespace with the binaries of the {@link
 * ImageTable}. Needs root; see docs/testing.md for what is real and what is simulated.
 */
public final class LocalCluster implements AutoCloseable {
  private final ControlPlane controlPlane;
  private final KubernetesClient client;
  private final PodNetwork network;
  private final ClusterDns dns;
  private final ServiceProxy proxy;
  private final SandboxKubelet kubelet;
  private final PodNetwork.Attachment clientPod;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private LocalCluster(String namespace) {
    this.network = PodNetwork.create();
    try {
      this.controlPlane = ControlPlane.start(network.serviceCidr());
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    controlPlane.startControllerManager();
    this.client = controlPlane.newClient();
    this.dns = new ClusterDns(network);
    this.proxy = new ServiceProxy(client, namespace, network, dns);
    this.kubelet = new SandboxKubelet(client, namespace, network, dns, ImageTable.standard());
    // A namespace for commands run "from inside the cluster" (like a debug pod): lncli, etcdctl.
    this.clientPod = network.attach(namespace + "/client");
  }

  /** Starts a control plane of its own and the node for {@code namespace}. */
  public static LocalCluster start(String namespace) {
    return new LocalCluster(namespace);
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public KubernetesClient client() {
    return client;
  }

  public SandboxKubelet kubelet() {
    return kubelet;
  }

  /** Runs a program on the pod network with cluster DNS, as a client pod would. */
  public SandboxKubelet.ExecResult runInCluster(List<String> command, Duration timeout) {
    List<String> cmd = new ArrayList<>(PodNetwork.execIn(clientPod.netns()));
    cmd.addAll(command);
    return LocalCommand.run(cmd, Map.of("PATH", System.getenv("PATH")), timeout);
  }

  @Override
  public void close() {
    // Once: a demo's Ctrl-C hook and its normal end may both get here.
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    kubelet.close();
    proxy.close();
    network.close();
    client.close();
    controlPlane.close();
  }
}
