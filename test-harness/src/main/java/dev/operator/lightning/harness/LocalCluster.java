package dev.operator.lightning.harness;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A local Kubernetes cluster with three nodes in three zones, for one namespace: a real
 * kube-apiserver, kube-scheduler placing every pod and kube-controller-manager (with the node
 * lifecycle controller), the pod network with cluster DNS and a user-space service proxy, and one
 * {@link SandboxKubelet} per node running the pods bound to it with the binaries of the {@link
 * ImageTable}. Needs root; see docs/testing.md for what is real and what is simulated.
 */
public final class LocalCluster implements AutoCloseable {
  private final ControlPlane controlPlane;
  private final KubernetesClient client;
  private final PodNetwork network;
  private final ClusterDns dns;
  private final ServiceProxy proxy;
  private final NetworkPolicyEnforcer policies;
  private final LocalNodes nodes;
  private final java.nio.file.Path storage;
  private final ClaimProvisioner provisioner;
  private final PodNetwork.Attachment clientPod;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private LocalCluster(String namespace, boolean outside) {
    this.network = PodNetwork.create();
    try {
      this.controlPlane = ControlPlane.start(network.serviceCidr());
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
    controlPlane.startControllerManager();
    controlPlane.startScheduler();
    this.client = controlPlane.newClient();
    this.dns = new ClusterDns(network);
    this.policies = new NetworkPolicyEnforcer(client, namespace, network.gateway());
    this.proxy = new ServiceProxy(client, namespace, network, dns, policies);
    try {
      this.storage = java.nio.file.Files.createTempDirectory("lnc-storage-" + namespace + "-");
      // Containers run as their declared users and must pass through to their claims.
      java.nio.file.Files.setAttribute(storage, "unix:mode", 0711);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    this.provisioner = new ClaimProvisioner(client, namespace, storage);
    NodeServices services =
        new NodeServices(client, namespace, network, dns, policies, ImageTable.standard(), storage);
    List<SandboxKubelet> kubelets = new ArrayList<>();
    for (LocalNode node : LocalNode.THREE_ZONES) {
      kubelets.add(new SandboxKubelet(node, services));
    }
    if (outside) {
      kubelets.add(new SandboxKubelet(LocalNode.OUTSIDE, services));
    }
    this.nodes = new LocalNodes(kubelets);
    // A namespace for commands run "from inside the cluster" (like a debug pod): lncli, etcdctl.
    this.clientPod = network.attach(namespace + "/client");
    policies.attachedClient("client", clientPod);
  }

  /** Starts a control plane of its own and the node for {@code namespace}. */
  public static LocalCluster start(String namespace) {
    return new LocalCluster(namespace, false);
  }

  /** As {@link #start(String)}, with a fourth node for the outside world ({@link LocalNode}). */
  public static LocalCluster startWithOutsideNode(String namespace) {
    return new LocalCluster(namespace, true);
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public KubernetesClient client() {
    return client;
  }

  /** The nodes, each with its kubelet: where a test finds, kills or cuts off a pod. */
  public LocalNodes nodes() {
    return nodes;
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
    provisioner.close();
    nodes.all().forEach(SandboxKubelet::stopAll);
    nodes.all().forEach(SandboxKubelet::close);
    proxy.close();
    policies.close();
    Folders.deleteRecursively(storage);
    network.close();
    client.close();
    controlPlane.close();
  }
}
