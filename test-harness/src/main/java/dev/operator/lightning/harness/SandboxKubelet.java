package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kubelet for one node of the local cluster that runs every pod of a namespace the scheduler
 * bound to its node as local processes, each in its own network namespace ({@link PodNetwork}) and
 * mount namespace: the container's declared command and args, with its environment resolved as
 * Kubernetes does (downward API, Secret and ConfigMap keys, {@code $(VAR)}), and Secret, ConfigMap,
 * emptyDir and PersistentVolumeClaim volumes materialised under a per-pod folder and bind-mounted
 * at their declared mount paths. Readiness and liveness probes run as declared (exec inside the
 * pod's namespaces, httpGet and tcpSocket against the pod IP) with their period, timeout and
 * thresholds; the restart policy is honoured; deletion sends SIGTERM, waits the grace period, then
 * SIGKILL; pod status is written as a kubelet writes it. Images map to binaries through the {@link
 * ImageTable}; a pod it cannot run gets a waiting reason saying why.
 *
 * <p>What differs from a real node: no image filesystem (the container sees the host's files plus
 * its volumes, and {@code HOME} is a per-pod folder), one container per pod, no resource limits, no
 * init containers.
 */
public final class SandboxKubelet implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SandboxKubelet.class);
  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private final KubernetesClient client;
  private final CrashLoopBackOff backOff = CrashLoopBackOff.configured();
  private final LocalNode node;
  private final String namespace;
  private final PodNetwork network;
  private final ClusterDns dns;
  private final NetworkPolicyEnforcer policies;
  private final ImageTable images;
  private final Path root;
  private final PodVolumes volumes;
  private final Map<String, PodRun> pods = new ConcurrentHashMap<>();
  private final ScheduledExecutorService loop =
      Executors.newScheduledThreadPool(6, HarnessThreads.daemon("sandbox-kubelet"));
  // Watch events in order, on one thread: a StatefulSet pod's deletion must be handled before
  // the creation of its successor with the same name.
  private final ScheduledExecutorService events =
      Executors.newSingleThreadScheduledExecutor(HarnessThreads.daemon("sandbox-kubelet-events"));
  private final Watch watch;
  private final ContainerRuns runs = new ContainerRuns();
  private final NodeHeartbeat heartbeat;
  // Cut off from the API server: no pod events acted on, no status written (see disconnect()).
  private volatile boolean disconnected;

  /** What a command run in a pod printed and returned. */
  public record ExecResult(int exitCode, String output) {}

  private static final class PodRun {
    final String name;
    final String uid;
    volatile Pod pod;
    PodNetwork.Attachment net;
    Path dir;
    Container container;
    List<String> argv;
    Map<String, String> env;
    List<String[]> mounts;
    ContainerUser user;
    volatile Process process;
    volatile boolean ready;
    volatile boolean terminating;
    volatile int restarts;
    volatile String waitingReason;
    volatile String waitingMessage;
    volatile ContainerState lastState;
    volatile Instant startedAt;

    /** This process's entry in {@link ContainerRuns}. */
    volatile int run = -1;

    volatile Instant readySince;
    Duration nextBackoff = Duration.ZERO;
    final Instant created = Instant.now();
    int readyStreak;
    int unreadyStreak;
    int livenessFailures;
    final List<ScheduledFuture<?>> probes = new ArrayList<>();

    PodRun(Pod pod) {
      this.name = pod.getMetadata().getName();
      this.uid = pod.getMetadata().getUid();
      this.pod = pod;
    }
  }

  public SandboxKubelet(LocalNode node, NodeServices cluster) {
    this.client = cluster.client();
    this.node = node;
    this.namespace = cluster.namespace();
    this.network = cluster.network();
    this.dns = cluster.dns();
    this.policies = cluster.policies();
    this.images = cluster.images();
    try {
      this.root = Files.createTempDirectory("lnc-" + node.name() + "-" + namespace + "-");
      // Containers run as their declared users: they must be able to pass through to their
      // binaries and home folders.
      Files.setAttribute(root, "unix:mode", 0711);
      this.volumes = new PodVolumes(client, namespace, cluster.storage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.heartbeat = new NodeHeartbeat(client, node, network.gateway(), loop);
    this.watch =
        HarnessThreads.watchPods(client.pods().inNamespace(namespace), events, this::handle);
  }

  /** The pod's IP on the pod network, or null if it does not run here. */
  public String podIp(String pod) {
    PodRun r = pods.get(pod);
    return r == null || r.net == null ? null : r.net.ip();
  }

  /** The pod's network namespace, or null if it does not run here. */
  public String netns(String pod) {
    PodRun r = pods.get(pod);
    return r == null || r.net == null ? null : r.net.netns();
  }

  /** The pid of the container's running process, or empty. */
  public java.util.OptionalLong pid(String pod) {
    PodRun r = pods.get(pod);
    Process p = r == null ? null : r.process;
    return p == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(p.pid());
  }

  /** The container's output (stdout and stderr, all restarts). */
  public Path log(String pod) {
    PodRun r = pods.get(pod);
    return r == null || r.dir == null ? null : r.dir.resolve("container.log");
  }

  /**
   * Copies the output of every container this node ran, including pods that are gone, into {@code
   * dir} (one file per pod run): the node's own folder is deleted when it closes.
   */
  public void keepContainerLogs(Path dir) throws java.io.IOException {
    Files.createDirectories(dir);
    try (var runs = Files.list(root)) {
      for (Path run : (Iterable<Path>) runs::iterator) {
        Path log = run.resolve("container.log");
        if (Files.isRegularFile(log)) {
          Files.copy(
              log,
              dir.resolve(run.getFileName() + ".log"),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** When the pod last turned Ready through its readiness probe. */
  public Instant readySince(String pod) {
    PodRun r = pods.get(pod);
    return r == null ? null : r.readySince;
  }

  /** SIGKILL of the container's process, as {@code kill -9} on the node; it is restarted. */
  public void killContainer(String pod) {
    PodRun r = pods.get(pod);
    Process p = r == null ? null : r.process;
    if (p == null) {
      throw new IllegalStateException("no running container in pod " + pod);
    }
    log.info("pod {}: SIGKILL to {}", pod, p.pid());
    p.destroyForcibly();
  }

  /** Every container process this node ran, with when it started and was reaped. */
  public List<ContainerRuns.Run> containerRuns() {
    return runs.all();
  }

  /** Runs a command in the pod's namespaces with the container's environment (kubectl exec). */
  public ExecResult exec(String pod, List<String> command, Duration timeout) {
    PodRun r = pods.get(pod);
    Process p = r == null ? null : r.process;
    if (p == null) {
      throw new IllegalStateException("no running container in pod " + pod);
    }
    List<String> cmd =
        new ArrayList<>(List.of("nsenter", "-t", Long.toString(p.pid()), "-n", "-m", "--"));
    cmd.addAll(r.user.runAs());
    cmd.addAll(command);
    return LocalCommand.run(cmd, r.env, timeout);
  }

  public LocalNode node() {
    return node;
  }

  /** Whether the pod runs (or is being started) on this node. */
  public boolean runs(String pod) {
    return pods.containsKey(pod);
  }

  /** The names of the pods this node runs. */
  public List<String> podNames() {
    return List.copyOf(pods.keySet());
  }

  /**
   * Cuts this node off from the API server, as a partitioned node: its heartbeats stop, no pod
   * status is written and no pod change is acted on, while every container keeps running and its
   * probes keep being run locally. Its pods' own network is the caller's to cut ({@link NodeLoss}).
   */
  public void disconnect() {
    disconnected = true;
    heartbeat.stop();
    log.info("node {}: cut off from the API server", node.name());
  }

  /**
   * Reconnects: the heartbeats resume, and the node catches up as a kubelet does after a partition:
   * pods deleted meanwhile stop, pods bound to it meanwhile start, and every status is written
   * again (the node lifecycle controller marked them not ready).
   */
  public void reconnect() {
    events.execute(
        () -> {
          disconnected = false;
          heartbeat.resume();
          var current = client.pods().inNamespace(namespace).list().getItems();
          Map<String, Pod> byName = new LinkedHashMap<>();
          current.forEach(p -> byName.put(p.getMetadata().getName(), p));
          for (PodRun r : List.copyOf(pods.values())) {
            Pod now = byName.get(r.name);
            if (now == null || !now.getMetadata().getUid().equals(r.uid)) {
              forceStop(r);
            }
          }
          for (Pod p : current) {
            boolean mine = node.name().equals(p.getSpec().getNodeName());
            if (mine
                && p.getMetadata().getDeletionTimestamp() != null
                && !runs(p.getMetadata().getName())) {
              // Its container stopped while the node could not say so.
              KubeletRequests.confirmDeletion(
                  client, namespace, p.getMetadata().getName(), p.getMetadata().getUid());
            } else {
              handle(Watcher.Action.MODIFIED, p);
            }
          }
          pods.values().forEach(this::writeStatus);
          log.info("node {}: reconnected to the API server", node.name());
        });
  }

  private void handle(Watcher.Action action, Pod pod) {
    if (disconnected) {
      return;
    }
    String name = pod.getMetadata().getName();
    PodRun r = pods.get(name);
    if (r != null && !r.uid.equals(pod.getMetadata().getUid())) {
      if (action == Watcher.Action.DELETED) {
        return;
      }
      // A new pod with the same name (StatefulSet): names are unique, so the old pod object is
      // gone even if its deletion was missed; its container goes now.
      forceStop(r);
      r = null;
    }
    if (action == Watcher.Action.DELETED) {
      if (r != null) {
        forceStop(r);
      }
      return;
    }
    if (r == null) {
      // The scheduler binds pods; this node runs those bound to it.
      if (node.name().equals(pod.getSpec().getNodeName())
          && pod.getMetadata().getDeletionTimestamp() == null) {
        start(pod);
      }
      return;
    }
    PodRun run = r;
    run.pod = pod;
    if (pod.getMetadata().getDeletionTimestamp() != null && !run.terminating) {
      run.terminating = true;
      Long grace = pod.getMetadata().getDeletionGracePeriodSeconds();
      loop.execute(() -> terminate(run, grace == null ? 30 : grace));
    } else if (!run.terminating && postedReady(pod) != run.ready) {
      // Someone else wrote the pod's readiness (the node lifecycle controller marks every pod
      // of a node it stopped hearing from not ready): like the kubelet's status manager, post
      // what the probes say again.
      loop.execute(() -> writeStatus(run));
    }
  }

  private static boolean postedReady(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private void start(Pod pod) {
    long t0 = System.nanoTime();
    try {
      startOnce(pod);
    } finally {
      log.info(
          "pod {}: started in {} ms",
          pod.getMetadata().getName(),
          (System.nanoTime() - t0) / 1_000_000);
    }
  }

  private void startOnce(Pod pod) {
    PodRun r = new PodRun(pod);
    pods.put(r.name, r);
    try {
      r.dir = Files.createDirectories(root.resolve(r.name + "-" + r.uid.substring(0, 8)));
      Files.createDirectories(r.dir.resolve("home"));
      r.net = network.attach(namespace + "/" + r.name);
      if (pod.getSpec().getHostname() != null && pod.getSpec().getSubdomain() != null) {
        dns.putPod(
            namespace, pod.getSpec().getHostname(), pod.getSpec().getSubdomain(), r.net.ip());
      }
      prepare(r);
    } catch (RuntimeException | IOException e) {
      r.waitingReason = "CreateContainerConfigError";
      r.waitingMessage = e.getMessage();
      log.warn("cannot run pod {}: {}", r.name, e.getMessage());
      writeStatus(r);
      return;
    }
    // The pod's NetworkPolicy rules are in place before its process can take a connection.
    policies.attached(pod, r.net);
    launch(r);
    scheduleProbes(r);
  }

  /** Volumes, environment and argv: everything that does not change across restarts. */
  private void prepare(PodRun r) throws IOException {
    Pod pod = r.pod;
    List<Container> containers = pod.getSpec().getContainers();
    if (containers.size() != 1
        || (pod.getSpec().getInitContainers() != null
            && !pod.getSpec().getInitContainers().isEmpty())) {
      throw new IllegalArgumentException(
          "the local kubelet runs pods with exactly one container and no init containers");
    }
    Container c = containers.get(0);
    r.container = c;
    r.user = ContainerUser.of(pod, c);
    Map<String, Path> mounted = new LinkedHashMap<>();
    for (Volume v :
        pod.getSpec().getVolumes() == null ? List.<Volume>of() : pod.getSpec().getVolumes()) {
      Path source = volumes.materialise(r.dir, v);
      if (r.user.fsGroup() != null) {
        PodVolumes.applyFsGroup(source, v, r.user.fsGroup());
      }
      mounted.put(v.getName(), source);
    }
    Files.setAttribute(r.dir, "unix:mode", 0711);
    if (!r.user.root()) {
      Path home = r.dir.resolve("home");
      Files.setAttribute(home, "unix:uid", r.user.uid().intValue());
      Files.setAttribute(home, "unix:gid", r.user.gid() == null ? 0 : r.user.gid().intValue());
    }
    r.mounts = new ArrayList<>();
    for (VolumeMount vm :
        c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
      Path source = mounted.get(vm.getName());
      if (source == null) {
        throw new IllegalArgumentException("volume mount " + vm.getName() + " has no volume");
      }
      if (vm.getSubPath() != null && !vm.getSubPath().isEmpty()) {
        source = source.resolve(vm.getSubPath());
      }
      volumes.createMountPoint(Path.of(vm.getMountPath()), Files.isDirectory(source));
      r.mounts.add(
          new String[] {
            source.toString(),
            vm.getMountPath(),
            Boolean.TRUE.equals(vm.getReadOnly()) ? "ro" : "rw"
          });
    }
    r.env = new LinkedHashMap<>();
    r.env.put("PATH", PATH);
    r.env.put(
        "HOSTNAME", pod.getSpec().getHostname() != null ? pod.getSpec().getHostname() : r.name);
    r.env.put("HOME", r.dir.resolve("home").toString());
    r.env.putAll(ContainerEnvironment.resolve(pod, r.net.ip(), c.getEnv(), volumes::keyOf));
    List<String> command = ContainerEnvironment.expandAll(c.getCommand(), r.env);
    List<String> argv = new ArrayList<>();
    argv.add(imageFile(images.binaryFor(c.getImage(), command)).toString());
    if (command.size() > 1) {
      argv.addAll(command.subList(1, command.size()));
    }
    argv.addAll(ContainerEnvironment.expandAll(c.getArgs(), r.env));
    r.argv = argv;
  }

  /**
   * The binary as the node's image store holds it: a link in a folder every user may read, since
   * the tools cache may sit in a home folder a non-root container user cannot enter.
   */
  private Path imageFile(Path binary) throws IOException {
    Path images = root.resolve("images");
    Files.createDirectories(images);
    Files.setAttribute(images, "unix:mode", 0755);
    Path linked = images.resolve(binary.getParent().getFileName() + "-" + binary.getFileName());
    synchronized (this) {
      if (!Files.exists(linked)) {
        try {
          Files.createLink(linked, binary);
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(binary, linked);
        }
        Files.setAttribute(linked, "unix:mode", 0755);
      }
    }
    return linked;
  }

  private void launch(PodRun r) {
    StringBuilder script = new StringBuilder("set -e\n");
    for (String[] m : r.mounts) {
      script
          .append("mount --bind ")
          .append(quote(m[0]))
          .append(' ')
          .append(quote(m[1]))
          .append('\n');
      if (m[2].equals("ro")) {
        script.append("mount -o remount,bind,ro ").append(quote(m[1])).append('\n');
      }
    }
    // Mounting needs root; the container's process then runs as its declared user.
    script.append("exec ");
    for (String word : r.user.runAs()) {
      script.append(quote(word)).append(' ');
    }
    script.append("\"$@\"\n");
    List<String> cmd = new ArrayList<>(PodNetwork.execIn(r.net.netns()));
    cmd.addAll(List.of("/bin/sh", "-c", script.toString(), r.name));
    cmd.addAll(r.argv);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(r.env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(r.dir.resolve("container.log").toFile()));
    try {
      Process p = pb.start();
      r.process = p;
      r.startedAt = Instant.now();
      r.waitingReason = null;
      r.waitingMessage = null;
      int run = runs.started(r.name, r.startedAt);
      r.run = run;
      p.onExit()
          .thenRun(
              () -> {
                runs.ended(run, Instant.now());
                loop.execute(() -> exited(r, p));
              });
    } catch (IOException e) {
      r.waitingReason = "RunContainerError";
      r.waitingMessage = e.getMessage();
    }
    writeStatus(r);
  }

  private void exited(PodRun r, Process p) {
    log.info("pod {}: container exited with {}", r.name, p.exitValue());
    if (r.process != p) {
      return;
    }
    r.process = null;
    r.ready = false;
    r.readyStreak = 0;
    int code = p.exitValue();
    r.lastState = terminatedState(code, r.startedAt);
    if (r.terminating) {
      return;
    }
    String policy = r.pod.getSpec().getRestartPolicy();
    boolean restart = !"Never".equals(policy) && !("OnFailure".equals(policy) && code == 0);
    if (!restart) {
      writeStatus(r);
      return;
    }
    r.restarts++;
    if (r.startedAt != null && backOff.forgets(Duration.between(r.startedAt, Instant.now()))) {
      r.nextBackoff = Duration.ZERO;
    }
    Duration delay = r.nextBackoff;
    r.nextBackoff = backOff.next(delay);
    if (delay.isZero()) {
      launch(r);
      return;
    }
    r.waitingReason = "CrashLoopBackOff";
    r.waitingMessage = "back-off " + delay.toSeconds() + "s restarting failed container";
    writeStatus(r);
    loop.schedule(
        () -> {
          if (!r.terminating && r.process == null && pods.get(r.name) == r) {
            launch(r);
          }
        },
        delay.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  private static ContainerState terminatedState(int exitCode, Instant startedAt) {
    return new ContainerStateBuilder()
        .withNewTerminated()
        .withExitCode(exitCode)
        .withReason(exitCode == 0 ? "Completed" : "Error")
        .withStartedAt(timestamp(startedAt))
        .withFinishedAt(timestamp(Instant.now()))
        .endTerminated()
        .build();
  }

  private void scheduleProbes(PodRun r) {
    Probe readiness = r.container.getReadinessProbe();
    if (readiness == null) {
      // No probe: ready whenever the container runs, checked each second.
      r.probes.add(
          loop.scheduleAtFixedRate(
              () -> readinessResult(r, null, r.process != null), 0, 1, TimeUnit.SECONDS));
    } else {
      r.probes.add(
          loop.scheduleWithFixedDelay(
              () -> readinessResult(r, readiness, probe(r, readiness)),
              ProbeCheck.seconds(readiness.getInitialDelaySeconds(), 0) * 1000L,
              ProbeCheck.seconds(readiness.getPeriodSeconds(), 10) * 1000L,
              TimeUnit.MILLISECONDS));
    }
    Probe liveness = r.container.getLivenessProbe();
    if (liveness != null) {
      r.probes.add(
          loop.scheduleWithFixedDelay(
              () -> livenessResult(r, liveness, probe(r, liveness)),
              ProbeCheck.seconds(liveness.getInitialDelaySeconds(), 0) * 1000L,
              ProbeCheck.seconds(liveness.getPeriodSeconds(), 10) * 1000L,
              TimeUnit.MILLISECONDS));
    }
  }

  private void readinessResult(PodRun r, Probe probe, boolean success) {
    boolean ready;
    synchronized (r) {
      if (r.process == null || r.terminating) {
        success = false;
        r.readyStreak = 0;
        r.unreadyStreak = Integer.MAX_VALUE / 2;
      }
      if (success) {
        r.readyStreak++;
        r.unreadyStreak = 0;
      } else {
        r.unreadyStreak++;
        r.readyStreak = 0;
      }
      int successThreshold = probe == null ? 1 : ProbeCheck.seconds(probe.getSuccessThreshold(), 1);
      int failureThreshold = probe == null ? 1 : ProbeCheck.seconds(probe.getFailureThreshold(), 3);
      ready = r.ready;
      if (!r.ready && r.readyStreak >= successThreshold) {
        ready = true;
      } else if (r.ready && r.unreadyStreak >= failureThreshold) {
        ready = false;
      }
      if (ready == r.ready) {
        return;
      }
      r.ready = ready;
      if (ready) {
        r.readySince = Instant.now();
      }
    }
    writeStatus(r);
  }

  private void livenessResult(PodRun r, Probe probe, boolean success) {
    Process p = r.process;
    if (p == null || r.terminating) {
      return;
    }
    synchronized (r) {
      r.livenessFailures = success ? 0 : r.livenessFailures + 1;
      if (r.livenessFailures < ProbeCheck.seconds(probe.getFailureThreshold(), 3)) {
        return;
      }
      r.livenessFailures = 0;
    }
    log.info("pod {}: liveness probe failed, restarting the container", r.name);
    Long grace = r.pod.getSpec().getTerminationGracePeriodSeconds();
    stopProcess(p, false, grace == null ? 30 : grace);
  }

  private boolean probe(PodRun r, Probe probe) {
    Process p = r.process;
    return p != null
        && ProbeCheck.passes(probe, p.pid(), r.net.ip(), r.container.getPorts(), r.env, r.user);
  }

  private void terminate(PodRun r, long graceSeconds) {
    log.info("pod {}: terminating with a grace period of {} s", r.name, graceSeconds);
    stopContainer(r, graceSeconds == 0, graceSeconds);
    // A kubelet reports the stopped container before it lets the pod object go.
    Process p = r.process;
    if (p != null && !p.isAlive()) {
      // Before the status says so: the exit callback that also records it may run later, and
      // the monitor would judge a revocation made on this status against a process still running.
      runs.ended(r.run, Instant.now());
      r.process = null;
      r.ready = false;
      r.lastState = terminatedState(p.exitValue(), r.startedAt);
    }
    writeStatus(r);
    if (!disconnected) {
      KubeletRequests.confirmDeletion(client, namespace, r.name, r.uid);
    }
    cleanUp(r);
  }

  /** SIGKILL at once and forget the pod: its object is gone, or this kubelet is closing. */
  private void forceStop(PodRun r) {
    r.terminating = true;
    stopContainer(r, true, 0);
    cleanUp(r);
  }

  private void stopContainer(PodRun r, boolean kill, long graceSeconds) {
    r.probes.forEach(f -> f.cancel(false));
    stopProcess(r.process, kill, graceSeconds);
  }

  /** SIGTERM, then SIGKILL after the grace period (or SIGKILL at once); waits for the end. */
  private static void stopProcess(Process p, boolean kill, long graceSeconds) {
    if (p == null) {
      return;
    }
    try {
      if (!kill) {
        p.destroy();
        if (p.waitFor(Math.max(graceSeconds, 1), TimeUnit.SECONDS)) {
          return;
        }
      }
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void cleanUp(PodRun r) {
    if (pods.remove(r.name, r)) {
      Pod pod = r.pod;
      if (pod.getSpec().getHostname() != null && pod.getSpec().getSubdomain() != null) {
        dns.removePod(namespace, pod.getSpec().getHostname(), pod.getSpec().getSubdomain());
      }
      if (r.net != null) {
        network.detach(namespace + "/" + r.name);
        policies.detached(r.name);
      }
    }
  }

  private void writeStatus(PodRun r) {
    if (disconnected) {
      return;
    }
    boolean running = r.process != null;
    ContainerState state;
    if (running) {
      state = new ContainerStateBuilder().withNewRunning(timestamp(r.startedAt)).build();
    } else if (r.waitingReason != null) {
      state =
          new ContainerStateBuilder()
              .withNewWaiting()
              .withReason(r.waitingReason)
              .withMessage(r.waitingMessage)
              .endWaiting()
              .build();
    } else if (r.lastState != null) {
      state = r.lastState;
    } else {
      state =
          new ContainerStateBuilder()
              .withNewWaiting()
              .withReason("ContainerCreating")
              .endWaiting()
              .build();
    }
    String phase = "Pending";
    if (running || r.restarts > 0) {
      phase = "Running";
    } else if (r.lastState != null && r.lastState.getTerminated() != null) {
      phase = r.lastState.getTerminated().getExitCode() == 0 ? "Succeeded" : "Failed";
    }
    String ready = r.ready ? "True" : "False";
    Container c = r.container != null ? r.container : r.pod.getSpec().getContainers().get(0);
    var status =
        new ContainerStatusBuilder()
            .withName(c.getName())
            .withImage(c.getImage())
            .withImageID("")
            .withContainerID(running ? "local://" + r.process.pid() : null)
            .withReady(r.ready)
            .withStarted(running)
            .withRestartCount(r.restarts)
            .withState(state)
            .withLastState(r.restarts > 0 ? r.lastState : null)
            .build();
    String ip = r.net == null ? null : r.net.ip();
    // The UID in the patch is a precondition, as in the kubelet's own status patches: a pod of
    // the same name created since (a StatefulSet's) must not get the old pod's status, or a
    // stale "Failed" makes its controller replace a healthy pod.
    Pod patch =
        new PodBuilder()
            .withNewMetadata()
            .withUid(r.uid)
            .endMetadata()
            .withNewStatus()
            .withPhase(phase)
            .withPodIP(ip)
            .withPodIPs(
                ip == null ? List.of() : List.of(new io.fabric8.kubernetes.api.model.PodIP(ip)))
            .withHostIP(network.gateway())
            .withStartTime(timestamp(r.created))
            .withConditions(
                condition("PodScheduled", "True"),
                condition("Initialized", "True"),
                condition("ContainersReady", ready),
                condition("Ready", ready))
            .withContainerStatuses(List.of(status))
            .endStatus()
            .build();
    KubeletRequests.writeStatus(client, namespace, r.name, patch);
  }

  private static io.fabric8.kubernetes.api.model.PodCondition condition(
      String type, String status) {
    return new PodConditionBuilder().withType(type).withStatus(status).build();
  }

  private static String timestamp(Instant t) {
    return (t == null ? Instant.now() : t).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /**
   * Stops every container at once. The local cluster stops all its nodes' pods before any node
   * removes its mount points, which another node's containers may still have mounts on.
   */
  public void stopAll() {
    watch.close();
    heartbeat.close();
    List.copyOf(pods.values()).forEach(this::forceStop);
  }

  @Override
  public void close() {
    stopAll();
    events.shutdownNow();
    loop.shutdownNow();
    // Another local cluster's pods may have their volumes bind-mounted on these very directories.
    if (!network.othersRunning()) {
      volumes.removeCreatedMountPoints();
    }
    Folders.deleteRecursively(root);
  }
}
