package dev.operator.lightning.harness;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real kube-apiserver with its own etcd, from the binaries scripts/tools.sh built. Configured in
 * code (offline: nothing is downloaded), because kube-api-test's environment variables are not
 * usable in its 7.x line.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
  private static ControlPlane shared;

  private final KubeAPIServer server;
  private final Path workDir;
  private final String kubeconfigYaml;
  private final Tools tools;
  private Process controllerManager;
  private Process scheduler;

  /**
   * kube-apiserver processes stopped on purpose: kube-api-test takes any exit of its API server for
   * a crash and stops its etcd too, deleting the data a restarted API server needs.
   */
  private final java.util.Set<Long> stoppedOnPurpose =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** The API server started again after an outage, which kube-api-test knows nothing of. */
  private Process restartedApiServer;

  private ControlPlane(Tools tools, java.util.Map<String, String> flags) {
    this(tools, flags, java.util.Map.of());
  }

  /**
   * @param lastFlags given after kube-api-test's own flags, which would otherwise win (it sets
   *     --service-cluster-ip-range=10.0.0.0/24 after the caller's flags, and the last one counts)
   */
  private ControlPlane(
      Tools tools, java.util.Map<String, String> flags, java.util.Map<String, String> lastFlags) {
    this.tools = tools;
    tools.binary("kube-apiserver");
    tools.binary("etcd");
    tools.binary("kubectl");
    try {
      // kube-api-test keeps certificates and etcd data under its test dir; the binaries are
      // reached through a symlink so each control plane has its own scratch space.
      workDir = Files.createTempDirectory("lnc-control-plane");
      Files.createDirectories(workDir.resolve("k8s"));
      Path bin = workDir.resolve("k8s").resolve(tools.kubernetesBinDir().getFileName());
      if (lastFlags.isEmpty()) {
        Files.createSymbolicLink(bin, tools.kubernetesBinDir());
      } else {
        // The binaries through links, kube-apiserver through a script that appends the flags.
        Files.createDirectories(bin);
        try (var files = Files.list(tools.kubernetesBinDir())) {
          for (Path f : files.toList()) {
            if (!f.getFileName().toString().equals("kube-apiserver")) {
              Files.createSymbolicLink(bin.resolve(f.getFileName()), f);
            }
          }
        }
        StringBuilder script = new StringBuilder("#!/bin/sh\nexec '");
        script.append(tools.kubernetesBinDir().resolve("kube-apiserver")).append("' \"$@\"");
        lastFlags.forEach(
            (k, v) -> script.append(" '").append(k).append('=').append(v).append('\''));
        Path wrapper = bin.resolve("kube-apiserver");
        Files.writeString(wrapper, script.append('\n').toString());
        wrapper.toFile().setExecutable(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    KubeAPIServerConfigBuilder config = KubeAPIServerConfigBuilder.anAPIServerConfig();
    flags.forEach(config::withApiServerFlag);
    server =
        new KubeAPIServer(
            config
                .withTestDir(workDir.toString())
                .withApiServerVersion(tools.kubernetesVersion())
                .withOfflineMode(true)
                .withStartupTimeout(120_000)
                .build()) {
          @Override
          public void processStopped(Process process) {
            if (!stoppedOnPurpose.contains(process.pid())) {
              super.processStopped(process);
            }
          }
        };
    long start = System.nanoTime();
    server.start();
    kubeconfigYaml = server.getKubeConfigYaml();
    log.info(
        "kube-apiserver {} ready in {} ms",
        tools.kubernetesVersion(),
        (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * The process id of this control plane's kube-apiserver: the process whose command is the binary
   * under this control plane's own directory (each has its own), for a fault to freeze it.
   */
  public long apiServerPid() {
    String binary =
        workDir
            .resolve("k8s")
            .resolve(tools.kubernetesBinDir().getFileName())
            .resolve("kube-apiserver")
            .toString();
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmdline = Files.readString(proc.resolve("cmdline"));
          int end = cmdline.indexOf('\0');
          if ((end < 0 ? cmdline : cmdline.substring(0, end)).equals(binary)) {
            return Long.parseLong(name);
          }
        } catch (IOException gone) {
          // a process that ended meanwhile
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no running " + binary);
  }

  /**
   * Stops this control plane's kube-apiserver, its etcd left running; closing the outage starts it
   * again as it was (see {@link ApiServerOutage}).
   */
  public ApiServerOutage stopApiServer() {
    return ApiServerOutage.begin(this);
  }

  /** Marks the API server process about to be stopped as no crash: its etcd must stay. */
  void expectApiServerExit(long pid) {
    stoppedOnPurpose.add(pid);
  }

  /** Takes over stopping an API server started again; one stopped before it needs no more. */
  synchronized void adoptApiServer(Process restarted) {
    restartedApiServer = restarted;
  }

  Path workDir() {
    return workDir;
  }

  /** Starts a new control plane; the caller closes it. */
  public static ControlPlane start() {
    return new ControlPlane(Tools.locate(), java.util.Map.of());
  }

  /**
   * Starts a new control plane whose Services take cluster IPs from {@code serviceCidr}, for a
   * cluster with nodes: a pod tolerates its node being unreachable or not ready for {@value
   * #NODE_LOSS_TOLERATION_SECONDS} s (300 by default) before the taint eviction controller deletes
   * it, so the tests see that eviction within their time.
   */
  public static ControlPlane start(String serviceCidr) {
    return new ControlPlane(
        Tools.locate(),
        java.util.Map.of(
            "--service-cluster-ip-range",
            serviceCidr,
            "--default-unreachable-toleration-seconds",
            Integer.toString(NODE_LOSS_TOLERATION_SECONDS),
            "--default-not-ready-toleration-seconds",
            Integer.toString(NODE_LOSS_TOLERATION_SECONDS)));
  }

  /** How long a pod stays on a lost node before its eviction (apiserver default tolerations). */
  public static final int NODE_LOSS_TOLERATION_SECONDS = 30;

  /**
   * How long a node may send no heartbeat before the node lifecycle controller marks it not ready
   * (its pods not ready with it) and taints it unreachable; 50 s by default.
   */
  public static final int NODE_MONITOR_GRACE_SECONDS = 6;

  /**
   * Starts a new control plane whose Services really take cluster IPs from {@code serviceCidr} (a
   * benchmark with more Services than the default range's 254).
   */
  public static ControlPlane startWithServiceRange(String serviceCidr) {
    return new ControlPlane(
        Tools.locate(),
        java.util.Map.of(),
        java.util.Map.of("--service-cluster-ip-range", serviceCidr));
  }

  /**
   * As {@link #startWithServiceRange}, with the API server's audit log: one JSON line per request
   * once its response is complete (verb, resource, user agent, times; no bodies) in {@code
   * auditLog}, so a benchmark counts a client's requests as the API server saw them.
   */
  public static ControlPlane startWithServiceRangeAndAudit(String serviceCidr, Path auditLog) {
    Path policy = auditLog.resolveSibling(auditLog.getFileName() + ".policy.yaml");
    try {
      Files.writeString(
          policy,
          """
          apiVersion: audit.k8s.io/v1
          kind: Policy
          omitStages: ["RequestReceived", "ResponseStarted"]
          rules:
          - level: Metadata
          """);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ControlPlane(
        Tools.locate(),
        java.util.Map.of(),
        java.util.Map.of(
            "--service-cluster-ip-range",
            serviceCidr,
            "--audit-policy-file",
            policy.toString(),
            "--audit-log-path",
            auditLog.toString(),
            // Written in the background, so the log costs the requests no latency.
            "--audit-log-mode",
            "batch"));
  }

  /** One control plane for the whole test JVM, stopped when the JVM exits. */
  public static synchronized ControlPlane shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "control-plane-stop"));
    }
    return shared;
  }

  public String kubeconfigYaml() {
    return kubeconfigYaml;
  }

  public Config config() {
    return Config.fromKubeconfig(kubeconfigYaml);
  }

  /** A new client; the caller closes it. */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /** Writes the kubeconfig to a file, for kubectl and for the operator's main(). */
  public Path writeKubeconfig(Path file) {
    try {
      Files.writeString(file, kubeconfigYaml);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts kube-controller-manager against this API server, with the controllers the local cluster
   * needs: StatefulSets create their pods, the EndpointSlice controller follows pod readiness,
   * garbage collection follows owner references, each namespace gets its default ServiceAccount,
   * claims are bound to the volumes the harness provisions, and the node lifecycle and taint
   * eviction controllers handle a node that stops reporting (its timings shortened: see {@link
   * #NODE_MONITOR_GRACE_SECONDS}). No leader election, no serving port.
   */
  public synchronized void startControllerManager() {
    if (controllerManager != null) {
      return;
    }
    Path kubeconfig = writeKubeconfig(workDir.resolve("controller-manager.kubeconfig"));
    try {
      controllerManager =
          new ProcessBuilder(
                  tools.binary("kube-controller-manager").toString(),
                  "--kubeconfig=" + kubeconfig,
                  "--controllers=statefulset-controller,endpointslice-controller,"
                      + "garbage-collector-controller,serviceaccount-controller,"
                      + "node-lifecycle-controller,taint-eviction-controller,"
                      + "persistentvolume-binder-controller",
                  "--node-monitor-period=1s",
                  "--node-monitor-grace-period=" + NODE_MONITOR_GRACE_SECONDS + "s",
                  "--node-startup-grace-period=" + NODE_MONITOR_GRACE_SECONDS + "s",
                  // One node per zone: a lost node's pods are evicted at once, not rate-limited.
                  "--node-eviction-rate=10",
                  "--leader-elect=false",
                  "--secure-port=0",
                  "--concurrent-statefulset-syncs=5",
                  "--v=1")
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(
                      workDir.resolve("kube-controller-manager.log").toFile()))
              .start();
      log.info(
          "kube-controller-manager started (log {})",
          workDir.resolve("kube-controller-manager.log"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start kube-controller-manager", e);
    }
  }

  /**
   * Stops kube-scheduler and kube-controller-manager, as on a real control plane whose API server
   * is gone longer than their leader lease's renew deadline (10 s): they exit, and start afresh
   * once it is back. Here they run without a lease and would carry on with stale informers.
   *
   * @return starts again those of the two that ran
   */
  public synchronized Runnable stopControllers() {
    boolean scheduling = scheduler != null;
    boolean managing = controllerManager != null;
    Processes.stop(scheduler, false);
    scheduler = null;
    Processes.stop(controllerManager, false);
    controllerManager = null;
    return () -> {
      if (scheduling) {
        startScheduler();
      }
      if (managing) {
        startControllerManager();
      }
    };
  }

  /** Starts the real kube-scheduler against this API server: it places every pod on a node. */
  public synchronized void startScheduler() {
    if (scheduler != null) {
      return;
    }
    Path kubeconfig = writeKubeconfig(workDir.resolve("scheduler.kubeconfig"));
    try {
      scheduler =
          new ProcessBuilder(
                  tools.binary("kube-scheduler").toString(),
                  "--kubeconfig=" + kubeconfig,
                  "--leader-elect=false",
                  "--secure-port=0",
                  "--v=1")
              .redirectErrorStream(true)
              .redirectOutput(
                  ProcessBuilder.Redirect.appendTo(workDir.resolve("kube-scheduler.log").toFile()))
              .start();
      log.info("kube-scheduler started (log {})", workDir.resolve("kube-scheduler.log"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start kube-scheduler", e);
    }
  }

  @Override
  public void close() {
    Processes.stop(scheduler, false);
    Processes.stop(controllerManager, false);
    synchronized (this) {
      // Before kube-api-test stops etcd, as it stops its own API server; it knows only the first.
      Processes.stop(restartedApiServer, true);
    }
    server.stop();
    Folders.deleteRecursively(workDir);
  }
}
