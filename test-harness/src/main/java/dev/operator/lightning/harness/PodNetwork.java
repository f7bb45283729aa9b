package dev.operator.lightning.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pod network of the local cluster: one Linux network namespace per pod, joined by a veth pair
 * to a bridge in the host namespace, so every pod has its own 127.0.0.1 and a routable pod IP, as
 * on a real node. Cluster DNS is an {@code /etc/hosts} per pod: {@code ip netns exec} bind-mounts
 * {@code /etc/netns/<namespace>/hosts} over {@code /etc/hosts} for what it starts, and {@link
 * #publishHosts} rewrites every pod's copy in place. Service cluster IPs are added to the bridge so
 * the {@link ServiceProxy} can listen on them.
 *
 * <p>Each instance claims a bridge {@code lncbr<N>} with the subnet 10.(200+N).0.0/16; a bridge
 * left by a process that no longer runs is removed with its namespaces before it is claimed again.
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2.
 */
public final class PodNetwork implements AutoCloseable {
  private static final Path STATE = Path.of("/run/lightning-harness");
  private static final int SLOTS = 50;

  private final int slot;
  private final String bridge;
  private final String gateway;
  private final AtomicInteger next = new AtomicInteger(2);
  private final Map<String, Attachment> pods = new ConcurrentHashMap<>();
  private final List<String> serviceIps = new ArrayList<>();
  private volatile String hosts = "127.0.0.1 localhost\n";

  /** A pod's place on the network: its network namespace and its IP. */
  public record Attachment(String netns, String ip, String hostVeth) {}

  private PodNetwork(int slot) {
    this.slot = slot;
    this.bridge = "lncbr" + slot;
    this.gateway = "10." + (200 + slot) + ".0.1";
  }

  /** Claims a free bridge slot and brings the bridge up. */
  public static PodNetwork create() {
    requireRoot();
    try {
      Files.createDirectories(STATE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int slot = 0; slot < SLOTS; slot++) {
      Path owner = STATE.resolve("slot-" + slot);
      if (Files.exists(owner) && ownerAlive(owner)) {
        continue;
      }
      removeSlot(slot);
      PodNetwork net = new PodNetwork(slot);
      if (ip(false, "link", "add", net.bridge, "type", "bridge") != 0) {
        continue;
      }
      try {
        Files.writeString(owner, Long.toString(ProcessHandle.current().pid()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      ip(true, "addr", "add", net.gateway + "/16", "dev", net.bridge);
      ip(true, "link", "set", net.bridge, "up");
      return net;
    }
    throw new IllegalStateException("no free pod network slot (lncbr0.." + (SLOTS - 1) + ")");
  }

  /**
   * The cluster IP range for this network's control plane, distinct per slot so that two local
   * clusters on one machine never put the same service IP on two bridges.
   */
  public String serviceCidr() {
    return "10." + (100 + slot) + ".0.0/24";
  }

  /** Whether another live process holds a pod network (and may use the shared mount points). */
  public boolean othersRunning() {
    for (int other = 0; other < SLOTS; other++) {
      Path owner = STATE.resolve("slot-" + other);
      if (other != slot && Files.exists(owner) && ownerAlive(owner)) {
        return true;
      }
    }
    return false;
  }

  /** The host side of the pod network (where the operator and the service proxy live). */
  public String gateway() {
    return gateway;
  }

  /** Creates a network namespace with its own loopback and a pod IP on the bridge. */
  public Attachment attach(String podKey) {
    int n = next.getAndIncrement();
    if (n > 65000) {
      throw new IllegalStateException("pod network " + bridge + " has no addresses left");
    }
    String netns = "lnc" + slot + "-" + n;
    String hostVeth = "lnc" + slot + "v" + n;
    String podIp = "10." + (200 + slot) + "." + (n / 256) + "." + (n % 256);
    ip(true, "netns", "add", netns);
    ip(true, "link", "add", hostVeth, "type", "veth", "peer", "name", "eth0", "netns", netns);
    ip(true, "link", "set", hostVeth, "master", bridge, "up");
    ip(true, "-n", netns, "addr", "add", podIp + "/16", "dev", "eth0");
    ip(true, "-n", netns, "link", "set", "eth0", "up");
    ip(true, "-n", netns, "link", "set", "lo", "up");
    ip(true, "-n", netns, "route", "add", "default", "via", gateway);
    writeHosts(netns, hosts);
    Attachment a = new Attachment(netns, podIp, hostVeth);
    pods.put(podKey, a);
    return a;
  }

  /** Removes a pod's namespace (its processes must have ended) and its hosts file. */
  public void detach(String podKey) {
    Attachment a = pods.remove(podKey);
    if (a != null) {
      ip(false, "link", "del", a.hostVeth());
      ip(false, "netns", "del", a.netns());
      Folders.deleteRecursively(Path.of("/etc/netns", a.netns()));
    }
  }

  /** Makes a service cluster IP local to the host, so a proxy can listen on it. */
  public synchronized void addServiceIp(String clusterIp) {
    if (!serviceIps.contains(clusterIp)) {
      ip(true, "addr", "add", clusterIp + "/32", "dev", bridge);
      serviceIps.add(clusterIp);
    }
  }

  /** The command prefix that runs a program inside a pod's namespaces, with its hosts file. */
  public static List<String> execIn(String netns) {
    return List.of("ip", "netns", "exec", netns);
  }

  /** Replaces the hosts file every pod sees (cluster DNS). */
  public synchronized void publishHosts(String content) {
    hosts = content;
    pods.values().forEach(a -> writeHosts(a.netns(), content));
  }

  private static void writeHosts(String netns, String content) {
    try {
      Path dir = Path.of("/etc/netns", netns);
      Files.createDirectories(dir);
      // In place: a running pod sees this very file through its bind mount, a new file would not.
      // Written over the old bytes and only then cut to length, so a reader never finds the file
      // empty (Go keeps what it read for 5 s, and a name missing then means a DNS query).
      byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
      try (FileChannel file =
          FileChannel.open(
              dir.resolve("hosts"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        long position = 0;
        while (buffer.hasRemaining()) {
          position += file.write(buffer, position);
        }
        file.truncate(bytes.length);
      }
      // No DNS server exists: a name that is not in the hosts file must fail at once (the pod's
      // own loopback refuses), not after the resolver's timeout against the host's nameserver.
      Path resolv = dir.resolve("resolv.conf");
      if (!Files.exists(resolv)) {
        Files.writeString(resolv, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    List.copyOf(pods.keySet()).forEach(this::detach);
    removeSlot(slot);
  }

  private static void removeSlot(int slot) {
    String prefix = "lnc" + slot + "-";
    for (String line : output("ip", "netns", "list")) {
      String name = line.split(" ")[0];
      if (name.startsWith(prefix)) {
        // Pods left running by a process that died without closing the network.
        for (String pid : output("ip", "netns", "pids", name)) {
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(PodNetwork::killAndWait);
        }
        ip(false, "netns", "del", name);
        Folders.deleteRecursively(Path.of("/etc/netns", name));
      }
    }
    // Host ends whose namespace went without them would make the next pod's "ip link add" fail.
    String veth = "lnc" + slot + "v";
    for (String line : output("ip", "-o", "link", "show")) {
      String[] fields = line.split(":\\s+", 3);
      String name = fields.length > 1 ? fields[1].split("@")[0] : "";
      if (name.startsWith(veth)) {
        ip(false, "link", "del", name);
      }
    }
    ip(false, "link", "del", "lncbr" + slot);
    try {
      Files.deleteIfExists(STATE.resolve("slot-" + slot));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A namespace lives, with its veth, as long as a process holds it. */
  private static void killAndWait(ProcessHandle h) {
    h.destroyForcibly();
    try {
      h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // Left to the kernel: the link cleanup below removes what the namespace leaves.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean ownerAlive(Path owner) {
    try {
      long pid = Long.parseLong(Files.readString(owner).trim());
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  private static void requireRoot() {
    if (!"root".equals(System.getProperty("user.name"))) {
      throw new IllegalStateException(
          "the pod network needs root (network namespaces, veth, bind mounts); running as "
              + System.getProperty("user.name"));
    }
  }

  private static int ip(boolean required, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(List.of(args));
    SandboxKubelet.ExecResult r = LocalCommand.run(cmd, null, Duration.ofSeconds(10));
    // -1: iproute2 missing, or ip did not finish in time; never acceptable.
    if (r.exitCode() == -1 || (required && r.exitCode() != 0)) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r.output().trim());
    }
    return r.exitCode();
  }

  private static List<String> output(String... cmd) {
    return LocalCommand.run(List.of(cmd), null, Duration.ofSeconds(10)).output().lines().toList();
  }
}
