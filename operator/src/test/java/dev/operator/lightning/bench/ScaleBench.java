package dev.operator.lightning.bench;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.it.BenchSupport;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code make bench-scale}: N clusters of 3 stand-in members on one shared etcd and one operator,
 * against the real API server. Prints, per N: time from applying all N to all Running and routed;
 * the operator's API requests per minute by verb over a steady window (counted on the operator's
 * own client: the API server's metrics do not say which client asked); the JVM's heap after GC, RSS
 * and CPU (operator and stand-ins share this JVM, so these bound the operator's from above);
 * failover of 10 % of the leaders at once (kill -> new leader routed); and the time until every
 * cluster has been reconciled again after an operator restart. Asserts nothing about the figures.
 *
 * <p>Knobs: -Dbench.clusters (default 10,100), -Dbench.steadySeconds (default 300).
 */
class ScaleBench {
  private static final int TTL = 90;
  private static final Duration DEADLINE = Duration.ofMinutes(20);

  @Test
  void scale() throws Exception {
    List<Integer> sizes =
        Arrays.stream(System.getProperty("bench.clusters", "10,100").split(","))
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
    long steadySeconds = Long.getLong("bench.steadySeconds", 300);
    List<String> rows = new ArrayList<>();
    for (int n : sizes) {
      rows.add(run(n, Duration.ofSeconds(steadySeconds)));
    }
    System.out.println("scale: results");
    rows.forEach(r -> System.out.println("scale: " + r));
  }

  private String run(int n, Duration steady) throws Exception {
    KubernetesClient k8s = BenchSupport.client();
    RequestCount requests = new RequestCount();
    KubernetesClient operatorClient = requests.client();
    List<BenchSupport.Cluster> clusters = new ArrayList<>();
    try (EtcdServer etcd = EtcdServer.start()) {
      Main.Running operator = Main.start(operatorClient, Main.Settings.forTests());
      Instant applied = Instant.now();
      for (int i = 0; i < n; i++) {
        clusters.add(BenchSupport.cluster(k8s, etcd, "scale" + n + "x" + i, TTL));
      }
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> running(k8s, clusters) == n);
      Duration toRunning = Duration.between(applied, Instant.now());
      System.out.printf(
          "scale: N=%d all Running and routed %d s after applying%n", n, toRunning.toSeconds());

      // Let the last passes of the start-up finish, then watch a steady window.
      try {
        await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofSeconds(1))
            .until(requests::quietFor, q -> q.compareTo(Duration.ofSeconds(15)) >= 0);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        System.out.printf("scale: N=%d the operator never went 15 s without a request%n", n);
      }
      requests.reset();
      long cpu0 = cpuNanos();
      Instant w0 = Instant.now();
      await()
          .atMost(steady.plusMinutes(1))
          .pollInterval(Duration.ofSeconds(5))
          .until(() -> Duration.between(w0, Instant.now()).compareTo(steady) >= 0);
      double minutes = Duration.between(w0, Instant.now()).toMillis() / 60000.0;
      double cpu = (cpuNanos() - cpu0) / 1e9;
      Map<String, Long> byVerb = requests.byVerb();
      requests
          .byPath()
          .forEach(
              (path, count) -> System.out.printf("scale: N=%d steady %s x%d%n", n, path, count));
      System.gc();
      long heapMiB =
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
      long rssMiB = rssKiB() / 1024;
      System.out.printf(
          "scale: N=%d steady %.1f min: operator requests per minute %s; JVM CPU %.1f s/min,"
              + " heap after GC %d MiB, RSS %d MiB%n",
          n, minutes, perMinute(byVerb, minutes), cpu / minutes, heapMiB, rssMiB);

      // 10 % of the leaders killed at once.
      int burst = Math.max(1, n / 10);
      Map<String, String> killed = new HashMap<>();
      Map<String, BenchSupport.Cluster> byNs = new HashMap<>();
      Map<String, String> before = routed(k8s);
      for (BenchSupport.Cluster c : clusters.subList(0, burst)) {
        String leader = before.get(c.ns());
        killed.put(c.ns(), leader);
        byNs.put(c.ns(), c);
      }
      Instant kill = Instant.now();
      killed.forEach((ns, leader) -> byNs.get(ns).kubelet().killHard(leader));
      Map<String, Long> took = new ConcurrentHashMap<>();
      await()
          .atMost(Duration.ofMinutes(5))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                Map<String, String> now = routed(k8s);
                long ms = Duration.between(kill, Instant.now()).toMillis();
                killed.forEach(
                    (ns, old) -> {
                      String r = now.get(ns);
                      if (r != null && !r.equals(old)) {
                        took.putIfAbsent(ns, ms);
                      }
                    });
                return took.size() == killed.size();
              });
      long[] sorted = took.values().stream().mapToLong(Long::longValue).sorted().toArray();
      System.out.printf(
          "scale: N=%d burst of %d hard kills -> new leader routed: p50 %d ms, p99 %d ms, max %d ms"
              + " (list-polled every 50 ms)%n",
          n, burst, pct(sorted, 50), pct(sorted, 99), sorted[sorted.length - 1]);

      // Operator restart: until every cluster has been reconciled again.
      operator.close();
      Instant restarted = Instant.now();
      operator = Main.start(operatorClient, Main.Settings.forTests());
      Main.Running again = operator;
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> reconciled(again) >= n);
      Duration resync = Duration.between(restarted, Instant.now());
      System.out.printf(
          "scale: N=%d operator restart -> every cluster reconciled in %d ms%n",
          n, resync.toMillis());
      operator.close();
      return String.format(
          "N=%d | Running %d s | requests/min %s | heap %d MiB | RSS %d MiB | CPU %.1f s/min |"
              + " burst %d kills p50 %d ms p99 %d ms | resync %d ms",
          n,
          toRunning.toSeconds(),
          perMinute(byVerb, minutes),
          heapMiB,
          rssMiB,
          cpu / minutes,
          burst,
          pct(sorted, 50),
          pct(sorted, 99),
          resync.toMillis());
    } finally {
      clusters.forEach(BenchSupport.Cluster::close);
    }
  }

  private static int running(KubernetesClient k8s, List<BenchSupport.Cluster> clusters) {
    Map<String, String> routed = routed(k8s);
    int n = 0;
    for (LightningCluster c :
        k8s.resources(LightningCluster.class).inAnyNamespace().list().getItems()) {
      if (c.getStatus() != null
          && "Running".equals(c.getStatus().phase)
          && routed.containsKey(c.getMetadata().getNamespace())
          && clusters.stream().anyMatch(b -> b.ns().equals(c.getMetadata().getNamespace()))) {
        n++;
      }
    }
    return n;
  }

  /** Namespace -> the one ready endpoint of its leader slice. */
  private static Map<String, String> routed(KubernetesClient k8s) {
    Map<String, String> m = new HashMap<>();
    for (EndpointSlice s :
        k8s.discovery().v1().endpointSlices().inAnyNamespace().list().getItems()) {
      if (!s.getMetadata().getName().endsWith("-leader") || s.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : s.getEndpoints()) {
        if (Boolean.TRUE.equals(e.getConditions().getReady()) && e.getTargetRef() != null) {
          m.put(s.getMetadata().getNamespace(), e.getTargetRef().getName());
        }
      }
    }
    return m;
  }

  private static long reconciled(Main.Running operator) {
    var t = operator.registry().find("lightning.reconcile").timer();
    return t == null ? 0 : t.count();
  }

  private static long pct(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static String perMinute(Map<String, Long> byVerb, double minutes) {
    Map<String, String> m = new TreeMap<>();
    for (String verb : List.of("GET", "LIST", "WATCH", "POST", "PATCH", "PUT", "DELETE")) {
      m.put(verb, String.format("%.1f", byVerb.getOrDefault(verb, 0L) / minutes));
    }
    return m.toString();
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static long rssKiB() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** Counts the operator client's requests by verb (a GET with watch=true is a WATCH). */
  private static final class RequestCount {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> paths = new ConcurrentHashMap<>();
    private volatile Instant last = Instant.now();

    KubernetesClient client() {
      return new KubernetesClientBuilder()
          .withConfig(dev.operator.lightning.harness.ControlPlane.shared().config())
          .withHttpClientBuilderConsumer(
              b ->
                  b.addOrReplaceInterceptor(
                      "request-count",
                      new Interceptor() {
                        @Override
                        public void before(
                            BasicBuilder builder, HttpRequest request, RequestTags tags) {
                          String verb = verb(request);
                          counts.computeIfAbsent(verb, k -> new AtomicLong()).incrementAndGet();
                          if (!"WATCH".equals(verb)) {
                            // Namespaces differ per cluster: count by verb and kind of path.
                            paths
                                .computeIfAbsent(
                                    verb
                                        + " "
                                        + request
                                            .uri()
                                            .getPath()
                                            .replaceAll("/namespaces/[^/]+", "/namespaces/*")
                                            .replaceAll("scale[0-9]+x[0-9]+", "*"),
                                    k -> new AtomicLong())
                                .incrementAndGet();
                          }
                          if (!"WATCH".equals(verb)) {
                            last = Instant.now();
                          }
                        }
                      }))
          .build();
    }

    private static String verb(HttpRequest r) {
      String q = r.uri().getQuery() == null ? "" : r.uri().getQuery();
      if (!"GET".equals(r.method())) {
        return r.method();
      }
      if (q.contains("watch=true")) {
        return "WATCH";
      }
      // .../namespaces/<ns>/<resource>/<name>: one object; without the name: a collection.
      List<String> parts = Arrays.asList(r.uri().getPath().split("/"));
      int ns = parts.indexOf("namespaces");
      return ns >= 0 && parts.size() > ns + 3 ? "GET" : "LIST";
    }

    Duration quietFor() {
      return Duration.between(last, Instant.now());
    }

    void reset() {
      counts.clear();
      paths.clear();
    }

    Map<String, Long> byPath() {
      Map<String, Long> m = new TreeMap<>();
      paths.forEach((k, v) -> m.put(k, v.get()));
      return m;
    }

    Map<String, Long> byVerb() {
      Map<String, Long> m = new TreeMap<>();
      counts.forEach((k, v) -> m.put(k, v.get()));
      return m;
    }
  }
}
