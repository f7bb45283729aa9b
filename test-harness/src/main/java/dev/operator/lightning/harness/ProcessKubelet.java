package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kubelet for LND member pods that runs each pod as an {@link LndStandIn} on its own loopback
 * address, for tests and benchmarks that need many fast failovers (pods with the real lnd and etcd
 * run on the {@link SandboxKubelet} instead). It binds each pod to a node named {@value #NODE} (so
 * deletion is graceful, as on a real node), writes pod status as a kubelet would (podIP, phase,
 * container state with restart count, Ready), evaluates readiness at the probe's declared period
 * with the probe's rule (RPC_ACTIVE or SERVER_ACTIVE), restarts a killed container, and on graceful
 * deletion lets the member resign before confirming it.
 *
 * <p>Service DNS does not exist here: {@code endpointRewrite} maps the etcd endpoint written in
 * lnd.conf to the address the stand-ins really dial.
 */
public final class ProcessKubelet implements AutoCloseable {
  public static final String NODE = "harness-node";
  private static final Logger log = LoggerFactory.getLogger(ProcessKubelet.class);
  private static final AtomicInteger IPS = new AtomicInteger();

  private final KubernetesClient client;
  private final String namespace;
  private final Function<String, String> endpointRewrite;
  private final ScheduledExecutorService loop =
      Executors.newSingleThreadScheduledExecutor(HarnessThreads.daemon("standin-kubelet"));
  private final Map<String, Member> members = new ConcurrentHashMap<>();
  private final Map<String, Instant> readySince = new ConcurrentHashMap<>();
  private final Watch watch;
  private final boolean walletRequired;

  private static final class Member {
    final String uid;
    final String ip;
    final java.util.function.Supplier<MemberProcess> launch;
    volatile MemberProcess process;
    volatile boolean ready;
    volatile int restarts;
    volatile boolean terminating;
    final Instant created = Instant.now();

    Member(String uid, String ip, java.util.function.Supplier<MemberProcess> launch) {
      this.uid = uid;
      this.ip = ip;
      this.launch = launch;
    }
  }

  public ProcessKubelet(
      KubernetesClient client, String namespace, Function<String, String> endpointRewrite) {
    this(client, namespace, endpointRewrite, false);
  }

  /**
   * @param walletRequired members behave like LND with no wallet yet: the first leader waits in
   *     NON_EXISTING until a client creates the wallet with the pod's password
   */
  public ProcessKubelet(
      KubernetesClient client,
      String namespace,
      Function<String, String> endpointRewrite,
      boolean walletRequired) {

    this.walletRequired = walletRequired;
    this.client = client;
    this.namespace = namespace;
    this.endpointRewrite = endpointRewrite;
    this.watch =
        HarnessThreads.watchPods(
            client.pods().inNamespace(namespace).withLabel("app.kubernetes.io/component", "lnd"),
            loop,
            this::handle);
    loop.scheduleAtFixedRate(this::probeAll, 1000, 1000, TimeUnit.MILLISECONDS);
  }

  /** The running stand-in of a pod, or null. */
  public LndStandIn standIn(String pod) {
    MemberProcess p = member(pod);
    return p instanceof LndStandIn s ? s : null;
  }

  /** The running stand-in of a pod, as a member process, or null. */
  public MemberProcess member(String pod) {
    Member m = members.get(pod);
    return m == null ? null : m.process;
  }

  public String podIp(String pod) {
    Member m = members.get(pod);
    return m == null ? null : m.ip;
  }

  /** When the pod last turned Ready through its readiness probe (the probe-only baseline). */
  public Instant readySince(String pod) {
    return readySince.get(pod);
  }

  /** SIGKILL of the LND container: no resign, the lease stays; the container is restarted. */
  public void killHard(String pod) {
    Member m = members.get(pod);
    if (m == null || m.process == null) {
      throw new IllegalStateException("no running member " + pod);
    }
    m.process.crash();
    m.process = null;
    String finished = now();
    loop.execute(
        () -> {
          m.restarts++;
          m.ready = false;
          writeStatus(pod, m, terminatedThenWaiting(finished));
          loop.schedule(() -> restart(pod, m, finished), 100, TimeUnit.MILLISECONDS);
        });
  }

  private void restart(String pod, Member m, String finished) {
    if (members.get(pod) != m || m.terminating) {
      return;
    }
    m.process = m.launch.get();
    writeStatus(pod, m, running(now(), finished));
  }

  private void handle(Watcher.Action action, Pod pod) {
    String name = pod.getMetadata().getName();
    Member m = members.get(name);
    if (action == Watcher.Action.DELETED) {
      if (m != null && m.uid.equals(pod.getMetadata().getUid())) {
        members.remove(name);
        readySince.remove(name);
        HostsFile.remove(dnsName(pod));
        if (m.process != null) {
          m.process.crash(); // gone without a grace period: like SIGKILL
        }
      }
      return;
    }
    if (m != null && !m.uid.equals(pod.getMetadata().getUid())) {
      return; // an old incarnation's event
    }
    if (m == null) {
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        return;
      }
      start(pod);
      return;
    }
    if (pod.getMetadata().getDeletionTimestamp() != null && !m.terminating) {
      m.terminating = true;
      Long grace = pod.getMetadata().getDeletionGracePeriodSeconds();
      deletionGrace.put(name, grace == null ? -1 : grace);
      boolean kill = grace != null && grace == 0;
      loop.execute(() -> terminate(name, m, kill));
    }
  }

  /** The grace period of the last graceful deletion of each pod name, as the kubelet got it. */
  private final java.util.Map<String, Long> deletionGrace =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The grace period, in seconds, of the last graceful deletion of a pod of this name, or null. */
  public Long lastDeletionGraceSeconds(String pod) {
    return deletionGrace.get(pod);
  }

  private void start(Pod pod) {
    String name = pod.getMetadata().getName();
    if (!KubeletRequests.bind(client, namespace, name, NODE)) {
      return;
    }
    int n = IPS.getAndIncrement();
    // The process listens on loopback; the pod IP it reports comes from a documentation range
    // (TEST-NET-2), because the API server rejects loopback addresses in EndpointSlices. Nothing
    // ever dials it: clients reach members by DNS name through the HostsFile.
    String listen = "127.1." + (n / 250) + "." + (n % 250 + 1);
    String podIp = "198.51.100." + (n % 254 + 1);
    HostsFile.put(dnsName(pod), listen);
    Member m =
        new Member(
            pod.getMetadata().getUid(), podIp, () -> LndStandIn.start(configOf(pod, listen)));
    members.put(name, m);
    m.process = m.launch.get();
    writeStatus(name, m, running(now(), null));
  }

  /** SIGTERM (LND resigns) or, for a zero grace period, SIGKILL; then confirm the deletion. */
  private void terminate(String name, Member m, boolean kill) {
    if (m.process != null) {
      if (kill) {
        m.process.crash();
      } else {
        m.process.shutdownGracefully();
      }
      m.process = null;
    }
    // A kubelet reports the stopped container before it lets the pod object go.
    m.ready = false;
    writeStatus(name, m, terminated(now(), kill ? 137 : 0));
    KubeletRequests.confirmDeletion(client, namespace, name, m.uid);
  }

  private ContainerStatus terminated(String finishedAt, int exitCode) {
    return new ContainerStatusBuilder()
        .withName("lnd")
        .withImage("stand-in")
        .withState(
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(exitCode)
                .withReason(exitCode == 0 ? "Completed" : "Error")
                .withFinishedAt(finishedAt)
                .endTerminated()
                .build())
        .build();
  }

  private void probeAll() {
    for (Map.Entry<String, Member> e : members.entrySet()) {
      Member m = e.getValue();
      MemberProcess p = m.process;
      if (p != null && p.exited() && !m.terminating) {
        // The process ended by itself: record the exit and restart it (restartPolicy Always).
        m.process = null;
        m.restarts++;
        m.ready = false;
        String finished = now();
        writeStatus(e.getKey(), m, terminatedThenWaiting(finished));
        loop.schedule(() -> restart(e.getKey(), m, finished), 100, TimeUnit.MILLISECONDS);
        continue;
      }
      boolean ready = p != null && p.active() && !m.terminating;
      if (ready != m.ready) {
        m.ready = ready;
        if (ready) {
          readySince.put(e.getKey(), Instant.now());
        }
        writeStatus(e.getKey(), m, null);
      }
    }
  }

  /** The name a member has in cluster DNS through its hostname and subdomain. */
  static String dnsName(Pod pod) {
    return pod.getSpec().getHostname()
        + "."
        + pod.getSpec().getSubdomain()
        + "."
        + pod.getMetadata().getNamespace()
        + ".svc";
  }

  private LndStandIn.Config configOf(Pod pod, String ip) {
    var c = pod.getSpec().getContainers().get(0);
    String clusterId =
        c.getArgs().stream()
            .filter(a -> a.startsWith("--cluster.id="))
            .map(a -> a.substring("--cluster.id=".length()))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        pod.getMetadata().getName() + " has no --cluster.id"));
    String conf = secretValue(volumeSecret(pod, "lnd-config"), "lnd.conf");
    Secret tls =
        client.secrets().inNamespace(namespace).withName(volumeSecret(pod, "lnd-tls")).get();
    return new LndStandIn.Config(
        clusterId,
        endpointRewrite.apply(option(conf, "db.etcd.host")),
        option(conf, "db.etcd.namespace"),
        option(conf, "cluster.etcd-election-prefix"),
        Integer.parseInt(option(conf, "cluster.leader-session-ttl")),
        ip,
        8080,
        decode(tls.getData().get("tls.crt")),
        decode(tls.getData().get("tls.key")),
        walletRequired ? walletPassword(pod) : null);
  }

  private String walletPassword(Pod pod) {
    var wallet =
        pod.getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals("wallet"))
            .findFirst()
            .orElseThrow()
            .getSecret();
    return secretValue(wallet.getSecretName(), wallet.getItems().get(0).getKey());
  }

  private String volumeSecret(Pod pod, String volume) {
    return pod.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(volume))
        .map(Volume::getSecret)
        .findFirst()
        .orElseThrow()
        .getSecretName();
  }

  private String secretValue(String secret, String key) {
    return decode(
        client.secrets().inNamespace(namespace).withName(secret).get().getData().get(key));
  }

  private static String option(String conf, String name) {
    return conf.lines()
        .filter(l -> l.startsWith(name + "="))
        .map(l -> l.substring(name.length() + 1))
        .reduce((a, b) -> b)
        .orElse(null);
  }

  private static String decode(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  private ContainerStatus running(String startedAt, String lastFinishedAt) {
    ContainerStatusBuilder b =
        new ContainerStatusBuilder()
            .withName("lnd")
            .withImage("stand-in")
            .withState(new ContainerStateBuilder().withNewRunning(startedAt).build())
            .withStarted(true);
    if (lastFinishedAt != null) {
      b.withLastState(
          new ContainerStateBuilder()
              .withNewTerminated()
              .withExitCode(137)
              .withReason("Error")
              .withFinishedAt(lastFinishedAt)
              .endTerminated()
              .build());
    }
    return b.build();
  }

  private ContainerStatus terminatedThenWaiting(String finishedAt) {
    return new ContainerStatusBuilder()
        .withName("lnd")
        .withImage("stand-in")
        .withState(
            new ContainerStateBuilder()
                .withNewWaiting()
                .withReason("CrashLoopBackOff")
                .endWaiting()
                .build())
        .withLastState(
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(137)
                .withReason("Error")
                .withFinishedAt(finishedAt)
                .endTerminated()
                .build())
        .build();
  }

  private final Map<String, ContainerStatus> lastContainer = new ConcurrentHashMap<>();

  private void writeStatus(String pod, Member m, ContainerStatus container) {
    if (container != null) {
      lastContainer.put(pod, container);
    }
    ContainerStatus cs = lastContainer.get(pod);
    if (cs == null) {
      return;
    }
    cs.setReady(m.ready);
    cs.setRestartCount(m.restarts);
    // The UID is a precondition: a pod recreated under the same name keeps its own status.
    Pod patch =
        new PodBuilder()
            .withNewMetadata()
            .withUid(m.uid)
            .endMetadata()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP(m.ip)
            .addNewPodIP(m.ip)
            .withHostIP("127.0.0.1")
            .withStartTime(m.created.truncatedTo(ChronoUnit.SECONDS).toString())
            .withConditions(
                new PodConditionBuilder()
                    .withType("Ready")
                    .withStatus(m.ready ? "True" : "False")
                    .build(),
                new PodConditionBuilder()
                    .withType("ContainersReady")
                    .withStatus(m.ready ? "True" : "False")
                    .build())
            .withContainerStatuses(List.of(cs))
            .endStatus()
            .build();
    KubeletRequests.writeStatus(client, namespace, pod, patch);
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  @Override
  public void close() {
    watch.close();
    loop.shutdownNow();
    members
        .values()
        .forEach(
            m -> {
              if (m.process != null) {
                m.process.crash();
              }
            });
    members.clear();
  }
}
