package dev.operator.lightning.harness;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The local cluster's nodes, one kubelet each, reached by pod name: a test asks for a pod's IP, its
 * log or a kill without knowing where the scheduler placed it.
 */
public final class LocalNodes {
  private final List<SandboxKubelet> kubelets;

  LocalNodes(List<SandboxKubelet> kubelets) {
    this.kubelets = List.copyOf(kubelets);
  }

  public List<SandboxKubelet> all() {
    return kubelets;
  }

  /** The kubelet of the named node. */
  public SandboxKubelet node(String name) {
    return kubelets.stream()
        .filter(k -> k.node().name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node " + name));
  }

  /** The kubelet that runs the pod, if any does. */
  public Optional<SandboxKubelet> running(String pod) {
    return kubelets.stream().filter(k -> k.runs(pod)).findFirst();
  }

  private SandboxKubelet runningOrThrow(String pod) {
    return running(pod).orElseThrow(() -> new IllegalStateException("no node runs pod " + pod));
  }

  /** The pod's IP on the pod network, or null if no node runs it. */
  public String podIp(String pod) {
    return running(pod).map(k -> k.podIp(pod)).orElse(null);
  }

  /** The pod's network namespace, or null if no node runs it. */
  public String netns(String pod) {
    return running(pod).map(k -> k.netns(pod)).orElse(null);
  }

  /** The pid of the pod's running container process, or empty. */
  public OptionalLong pid(String pod) {
    return running(pod).map(k -> k.pid(pod)).orElse(OptionalLong.empty());
  }

  /** The container's output (stdout and stderr, all restarts), or null if no node runs it. */
  public Path log(String pod) {
    return running(pod).map(k -> k.log(pod)).orElse(null);
  }

  /** When the pod last turned Ready through its readiness probe, or null. */
  public Instant readySince(String pod) {
    return running(pod).map(k -> k.readySince(pod)).orElse(null);
  }

  /** Every container process any node ran, with when it started and was reaped. */
  public List<ContainerRuns.Run> containerRuns() {
    List<ContainerRuns.Run> out = new java.util.ArrayList<>();
    kubelets.forEach(k -> out.addAll(k.containerRuns()));
    return out;
  }

  /** SIGKILL of the pod's container, as {@code kill -9} on its node; it is restarted. */
  public void killContainer(String pod) {
    runningOrThrow(pod).killContainer(pod);
  }

  /** Runs a command in the pod's namespaces with the container's environment (kubectl exec). */
  public SandboxKubelet.ExecResult exec(String pod, List<String> command, Duration timeout) {
    return runningOrThrow(pod).exec(pod, command, timeout);
  }

  /** Copies the output of every container any node ran into {@code dir}. */
  public void keepContainerLogs(Path dir) throws IOException {
    for (SandboxKubelet k : kubelets) {
      k.keepContainerLogs(dir);
    }
  }

  /** Loses the node the pod runs on (see {@link NodeLoss}); closing it brings the node back. */
  public NodeLoss loseNodeOf(String pod) {
    return NodeLoss.of(runningOrThrow(pod));
  }
}
