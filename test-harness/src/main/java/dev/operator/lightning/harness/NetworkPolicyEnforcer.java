package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local cluster's CNI substitute for NetworkPolicy: it follows the namespace's policies and
 * pods and writes, in each pod's network namespace, an iptables chain that drops every new TCP
 * connection ({@code SYN}) the policies do not admit. Only connection openings are filtered, so the
 * answers to a pod's own outgoing connections pass without connection tracking. Traffic from the
 * node itself (the bridge's gateway: kubelet probes, and the operator and tests, which run on the
 * host) is admitted, as CNI plugins admit node traffic; the {@link ServiceProxy}, which also runs
 * on the host, asks {@link #admits} with the real client's IP before it forwards. A pod's rules are
 * written before its container starts.
 */
public final class NetworkPolicyEnforcer implements AutoCloseable {
  static final String CHAIN = "LNC-INGRESS";
  private static final Logger log = LoggerFactory.getLogger(NetworkPolicyEnforcer.class);
  private static final Duration COMMAND_LIMIT = Duration.ofSeconds(10);

  private record Attached(String namespace, String name, String netns, String ip) {}

  private final String namespace;
  private final String gateway;
  private final SharedIndexInformer<NetworkPolicy> policies;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Namespace> namespaces;
  private final Map<String, Attached> attached = new ConcurrentHashMap<>();
  // netns -> the chain last written there, so an unchanged chain is not written again.
  private final Map<String, String> written = new HashMap<>();
  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(HarnessThreads.daemon("network-policy"));
  private final AtomicBoolean pending = new AtomicBoolean();

  NetworkPolicyEnforcer(KubernetesClient client, String namespace, String gateway) {
    this.namespace = namespace;
    this.gateway = gateway;
    ResourceEventHandler<Object> resync =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Object o) {
            scheduleResync();
          }

          @Override
          public void onUpdate(Object before, Object after) {
            scheduleResync();
          }

          @Override
          public void onDelete(Object o, boolean unknown) {
            scheduleResync();
          }
        };
    this.policies = client.network().v1().networkPolicies().inNamespace(namespace).inform();
    this.pods = client.pods().inNamespace(namespace).inform();
    this.namespaces = client.namespaces().inform();
    policies.addEventHandler(cast(resync));
    pods.addEventHandler(cast(resync));
    namespaces.addEventHandler(cast(resync));
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> h) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) h;
  }

  /**
   * A pod's network exists and its container is about to start: its rules are written now, and
   * every other pod's rules follow (the new pod may be a source they admit).
   */
  public void attached(Pod pod, PodNetwork.Attachment a) {
    Attached at =
        new Attached(
            pod.getMetadata().getNamespace(), pod.getMetadata().getName(), a.netns(), a.ip());
    attached.put(at.name(), at);
    try {
      worker.submit(() -> write(rules(pod), at)).get(COMMAND_LIMIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn(
          "network policy of pod {} not written before its start: {}", at.name(), e.toString());
    }
    scheduleResync();
  }

  /**
   * A network namespace of the pod network that is not a pod (the harness's client, like a debug
   * pod of the namespace without labels): a source the policies judge, never isolated itself.
   */
  public void attachedClient(String name, PodNetwork.Attachment a) {
    attached.put(name, new Attached(namespace, name, null, a.ip()));
    scheduleResync();
  }

  /** A pod's network is gone. */
  public void detached(String pod) {
    Attached gone = attached.remove(pod);
    if (gone != null && gone.netns() != null) {
      worker.execute(() -> written.remove(gone.netns()));
    }
    scheduleResync();
  }

  /**
   * Whether a TCP connection from {@code sourceIp} to {@code targetIp}:{@code port} is admitted
   * (the {@link ServiceProxy} asks before it forwards a client's connection).
   */
  public boolean admits(String sourceIp, String targetIp, int port) {
    if (fromNode(sourceIp)) {
      return true;
    }
    NetworkPolicyRules rules = rules(null);
    return members(null).stream()
        .filter(m -> targetIp.equals(m.ip()))
        .findFirst()
        .map(m -> rules.admits(sourceIp, m, port))
        .orElse(true);
  }

  /**
   * Whether the connection comes from the host: its gateway, loopback, or any address of the host
   * (a connection to a Service IP, which sits on the bridge, leaves from that very address).
   */
  private boolean fromNode(String ip) {
    if (ip.equals(gateway) || ip.startsWith("127.")) {
      return true;
    }
    try {
      return java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getByName(ip)) != null;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private void scheduleResync() {
    if (pending.compareAndSet(false, true)) {
      worker.schedule(
          () -> {
            pending.set(false);
            resync();
          },
          20,
          TimeUnit.MILLISECONDS);
    }
  }

  private void resync() {
    try {
      NetworkPolicyRules rules = rules(null);
      for (Attached a : attached.values()) {
        if (a.netns() != null) {
          write(rules, a);
        }
      }
    } catch (RuntimeException e) {
      log.warn("network policies not enforced this round: {}", e.toString());
    }
  }

  /** The rules from the caches, with {@code starting} counted as a pod even before it is cached. */
  private NetworkPolicyRules rules(Pod starting) {
    Map<String, Map<String, String>> nsLabels = new HashMap<>();
    for (Namespace n : namespaces.getStore().list()) {
      nsLabels.put(
          n.getMetadata().getName(),
          n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels());
    }
    nsLabels.putIfAbsent(namespace, Map.of("kubernetes.io/metadata.name", namespace));
    return new NetworkPolicyRules(policies.getStore().list(), members(starting), nsLabels);
  }

  private List<NetworkPolicyRules.Member> members(Pod starting) {
    Map<String, Pod> byName = new LinkedHashMap<>();
    pods.getStore().list().forEach(p -> byName.put(p.getMetadata().getName(), p));
    if (starting != null) {
      byName.put(starting.getMetadata().getName(), starting);
    }
    List<NetworkPolicyRules.Member> out = new ArrayList<>();
    for (Attached a : attached.values()) {
      Pod p = byName.get(a.name());
      out.add(
          new NetworkPolicyRules.Member(
              a.namespace(),
              a.name(),
              a.ip(),
              p == null || p.getMetadata().getLabels() == null
                  ? Map.of()
                  : p.getMetadata().getLabels(),
              p == null ? Map.of() : namedPorts(p)));
    }
    return out;
  }

  private static Map<String, Integer> namedPorts(Pod p) {
    Map<String, Integer> out = new HashMap<>();
    p.getSpec()
        .getContainers()
        .forEach(
            c -> {
              if (c.getPorts() != null) {
                c.getPorts()
                    .forEach(
                        port -> {
                          if (port.getName() != null) {
                            out.put(port.getName(), port.getContainerPort());
                          }
                        });
              }
            });
    return out;
  }

  /** Writes the pod's chain when it changed. Runs on the worker thread only. */
  private void write(NetworkPolicyRules rules, Attached a) {
    NetworkPolicyRules.Member self =
        members(null).stream()
            .filter(m -> m.name().equals(a.name()))
            .findFirst()
            .orElse(
                new NetworkPolicyRules.Member(a.namespace(), a.name(), a.ip(), Map.of(), Map.of()));
    String chain = render(rules, self);
    if (chain.equals(written.get(a.netns()))) {
      return;
    }
    List<String> restore = new ArrayList<>(PodNetwork.execIn(a.netns()));
    restore.addAll(List.of("iptables-restore", "-w", "--noflush"));
    var r = LocalCommand.runWithInput(restore, chain, COMMAND_LIMIT);
    if (r.exitCode() != 0) {
      // A pod stopping meanwhile takes its namespace along: nothing left to filter.
      if (attached.get(a.name()) == a) {
        log.warn("iptables-restore in {} failed: {}", a.netns(), r.output());
      }
      return;
    }
    List<String> check = new ArrayList<>(PodNetwork.execIn(a.netns()));
    check.addAll(List.of("iptables", "-w", "-C", "INPUT", "-j", CHAIN));
    if (LocalCommand.run(check, null, COMMAND_LIMIT).exitCode() != 0) {
      List<String> jump = new ArrayList<>(PodNetwork.execIn(a.netns()));
      jump.addAll(List.of("iptables", "-w", "-A", "INPUT", "-j", CHAIN));
      LocalCommand.run(jump, null, COMMAND_LIMIT);
    }
    written.put(a.netns(), chain);
  }

  /** The pod's chain as iptables-restore input. */
  String render(NetworkPolicyRules rules, NetworkPolicyRules.Member pod) {
    StringBuilder head = new StringBuilder("*filter\n:" + CHAIN + " - [0:0]\n");
    StringBuilder body = new StringBuilder();
    body.append("-A ").append(CHAIN).append(" -i lo -j ACCEPT\n");
    body.append("-A ").append(CHAIN).append(" -s ").append(gateway).append("/32 -j ACCEPT\n");
    if (rules.isolated(pod)) {
      int sub = 0;
      for (NetworkPolicyRules.Allow allow : rules.ingress(pod)) {
        String port = allow.port() == null ? "" : " -p tcp --dport " + allow.port();
        if (allow.except().isEmpty()) {
          body.append("-A ").append(CHAIN).append(" -s ").append(allow.cidr()).append(port);
          body.append(" -j ACCEPT\n");
          continue;
        }
        // An IP block with exceptions: its own chain returns the exceptions to the next rule.
        String chain = CHAIN + "-" + sub++;
        head.append(':').append(chain).append(" - [0:0]\n");
        for (String except : allow.except()) {
          body.append("-A ").append(chain).append(" -s ").append(except).append(" -j RETURN\n");
        }
        body.append("-A ").append(chain).append(" -j ACCEPT\n");
        body.append("-A ").append(CHAIN).append(" -s ").append(allow.cidr()).append(port);
        body.append(" -j ").append(chain).append('\n');
      }
      body.append("-A ").append(CHAIN).append(" -p tcp --syn -j DROP\n");
    }
    return head.append(body).append("COMMIT\n").toString();
  }

  @Override
  public void close() {
    policies.close();
    pods.close();
    namespaces.close();
    worker.shutdownNow();
  }
}
