package dev.operator.lightning.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.harness.ControlPlane;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.LndStandIn;
import dev.operator.lightning.it.BenchSupport;
import dev.operator.lightning.it.EtcdMetrics;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code make bench-scale}: N clusters of 3 stand-in members on one shared etcd (each cluster with
 * its own key namespace, as LND's data needs) and one operator, against the real API server. The
 * operator runs in a JVM of its own ({@link OperatorProcess}), so its heap, RSS and CPU are its
 * own; the stand-ins and their kubelets run here. Prints, per N: time from applying all N to all
 * Running and routed; the operator's API requests per minute by verb and resource over a steady
 * window, from the API server's audit log (by the operator's user agent; its own client's counts
 * are printed beside them), with its Lease renewals, since it runs with leader election; its heap
 * after GC, RSS and CPU; failover (a) election change -> routed and (b) kill -> new leader routed,
 * for single kills while idle and for a burst that kills 10 % of the leaders at once; and the time
 * until a pass has completed for every cluster after an operator restart (distinct clusters, from
 * the operator's {@code lightning_clusters_confirmed}). Asserts nothing about the figures.
 *
 * <p>Knobs: -Dbench.clusters (default 10,100), -Dbench.steadySeconds (default 300),
 * -Dbench.operatorHeap (the operator JVM's -Xmx, default 1g), -Dbench.idleKills (default 5).
 */
class ScaleBench {
  private static final int TTL = 90;
  private static final Duration DEADLINE = Duration.ofMinutes(30);

  /** The API server serves at most 250 concurrent streams on one HTTP/2 connection. */
  private static final int KUBELETS_PER_CLIENT = 100;

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

  /**
   * An API server of the benchmark's own: every cluster's leader Service takes a cluster IP, and
   * the shared test API server has 254 of them.
   */
  private static ControlPlane plane;

  /** The API server's record of every request, by which the steady window is counted. */
  private static Path auditLog;

  private static synchronized ControlPlane plane() {
    if (plane == null) {
      try {
        auditLog = Files.createTempDirectory("bench-audit").resolve("audit.log");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      plane = ControlPlane.startWithServiceRangeAndAudit("10.96.0.0/16", auditLog);
      Runtime.getRuntime().addShutdownHook(new Thread(plane::close, "bench-control-plane-stop"));
      try (KubernetesClient k8s = plane.newClient()) {
        dev.operator.lightning.it.ApiServerSupport.installCrd(k8s);
      }
    }
    return plane;
  }

  /** Watch streams and watchers on the shared etcd, the stand-ins' and the operator's together. */
  private static String etcdWatches(EtcdServer etcd) {
    try {
      String metrics =
          EtcdMetrics.read(
              java.net.http.HttpClient.newHttpClient(), etcd.url(), Duration.ofSeconds(5));
      return String.format(
          "%.0f watch streams, %.0f watchers",
          EtcdMetrics.gauge(metrics, "etcd_debugging_mvcc_watch_stream_total"),
          EtcdMetrics.gauge(metrics, "etcd_debugging_mvcc_watcher_total"));
    } catch (Exception e) {
      return "metrics unread (" + e + ")";
    }
  }

  private String run(int n, Duration steady) throws Exception {
    KubernetesClient k8s = plane().newClient();
    Path kubeconfig =
        plane().writeKubeconfig(Files.createTempFile("bench-operator", ".kubeconfig"));
    Path operatorLog = Files.createTempFile("bench-operator-" + n + "-", ".log");
    List<KubernetesClient> kubeletClients = new ArrayList<>();
    List<BenchSupport.Cluster> clusters = new ArrayList<>();
    LndStandIn.shareEtcdClients(true);
    try (EtcdServer etcd = EtcdServer.start();
        Client etcdClient = Client.builder().endpoints(etcd.url()).build();
        OperatorJvm operator =
            new OperatorJvm(
                kubeconfig, System.getProperty("bench.operatorHeap", "1g"), operatorLog)) {
      System.out.printf(
          "scale: N=%d operator JVM pid %d (-Xmx%s, reconcile threads %s), log %s%n",
          n,
          operator.pid(),
          System.getProperty("bench.operatorHeap", "1g"),
          Integer.getInteger(
              OperatorProcess.RECONCILE_THREADS,
              dev.operator.lightning.Main.Settings.DEFAULT_RECONCILE_THREADS),
          operatorLog);
      Instant applied = Instant.now();
      for (int i = 0; i < n; i++) {
        if (i % KUBELETS_PER_CLIENT == 0) {
          kubeletClients.add(plane().newClient());
        }
        clusters.add(
            BenchSupport.cluster(
                k8s,
                kubeletClients.get(kubeletClients.size() - 1),
                etcd,
                "scale" + n + "x" + i,
                TTL));
      }
      await()
          .atMost(DEADLINE)
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> running(k8s, clusters) == n);
      Duration toRunning = Duration.between(applied, Instant.now());
      System.out.printf(
          "scale: N=%d all Running and routed %d s after applying%n", n, toRunning.toSeconds());

      // Let the last passes of the start-up finish, then watch a steady window.
      try {
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> operator.ask("quiet", Duration.ofSeconds(30)).path("quietMillis").asLong(),
                q -> q >= 15_000);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        System.out.printf("scale: N=%d the operator never went 15 s without a request%n", n);
      }
      operator.ask("reset", Duration.ofSeconds(30));
      Instant w0 = Instant.now();
      await()
          .atMost(steady.plusMinutes(1))
          .pollInterval(Duration.ofSeconds(5))
          .until(() -> Duration.between(w0, Instant.now()).compareTo(steady) >= 0);
      JsonNode report = operator.ask("report", Duration.ofMinutes(1));
      Instant w1 = Instant.now();
      double minutes = Duration.between(w0, w1).toMillis() / 60000.0;
      AuditedRequests audited = audited(w0, w1);
      System.out.printf(
          "scale: N=%d steady, as the API server's audit log has it (%d requests of all clients):"
              + " operator per minute by verb %s; by verb and resource %s; all clients per minute"
              + " %s%n",
          n,
          audited.lines(),
          AuditedRequests.perMinute(audited.clientByVerb(), minutes),
          AuditedRequests.perMinute(audited.clientByResource(), minutes),
          AuditedRequests.perMinute(audited.allByVerb(), minutes));
      report
          .path("byPath")
          .fields()
          .forEachRemaining(
              e ->
                  System.out.printf(
                      "scale: N=%d steady %s x%d%n", n, e.getKey(), e.getValue().asLong()));
      Map<String, Long> byVerb = new TreeMap<>();
      report
          .path("byVerb")
          .fields()
          .forEachRemaining(e -> byVerb.put(e.getKey(), e.getValue().asLong()));
      long heapMiB = report.path("heapMiB").asLong();
      long rssMiB = report.path("rssMiB").asLong();
      double cpu = report.path("cpuSeconds").asDouble() / minutes;
      System.out.printf(
          "scale: N=%d steady %.1f min: operator requests per minute %s; operator JVM CPU %.1f s/min,"
              + " heap after GC %d MiB, RSS %d MiB, %d threads; this JVM (stand-ins) RSS %d MiB;"
              + " the operator's election watches %d on %d gRPC streams; etcd's %s%n",
          n,
          minutes,
          perMinute(byVerb, minutes),
          cpu,
          heapMiB,
          rssMiB,
          report.path("threads").asLong(),
          OperatorProcess.rssKiB("self") / 1024,
          report.path("electionWatches").asLong(),
          report.path("electionStreams").asLong(),
          etcdWatches(etcd));

      try (FailoverMarks marks = new FailoverMarks(etcdClient, k8s, "scale" + n + "x")) {
        // Single kills while the rest is idle, one after the other.
        int idle = Math.min(n, Integer.getInteger("bench.idleKills", 5));
        Times idleTimes = new Times();
        for (BenchSupport.Cluster c : clusters.subList(n - idle, n)) {
          failover(k8s, marks, List.of(c), idleTimes);
        }
        System.out.printf("scale: N=%d idle, %d single kills: %s%n", n, idle, idleTimes);
        System.out.printf("scale: N=%d idle, from the audit log: %s%n", n, fromAuditLog(idleTimes));

        // 10 % of the leaders killed at once.
        int burst = Math.max(1, n / 10);
        Times burstTimes = new Times();
        failover(k8s, marks, clusters.subList(0, burst), burstTimes);
        System.out.printf("scale: N=%d burst of %d hard kills at once: %s%n", n, burst, burstTimes);
        String burstAudit = fromAuditLog(burstTimes);
        System.out.printf("scale: N=%d burst, from the audit log: %s%n", n, burstAudit);

        // Operator restart: until a pass has completed for each cluster, not N passes in all.
        Instant restarted = Instant.now();
        operator.ask("restart", Duration.ofMinutes(2));
        await()
            .atMost(DEADLINE)
            .pollInterval(Duration.ofMillis(200))
            .until(
                () ->
                    operator.ask("reconciled", Duration.ofSeconds(30)).path("reconciled").asLong(),
                r -> r >= n);
        Duration resync = Duration.between(restarted, Instant.now());
        System.out.printf(
            "scale: N=%d operator restart -> a pass completed for each of the N clusters in %d ms%n",
            n, resync.toMillis());
        return String.format(
            "N=%d | Running %d s | operator requests/min (audit) %s | heap %d MiB | RSS %d MiB | CPU %.1f s/min |"
                + " idle %s | burst %d %s | burst, audit log: %s | resync %d ms",
            n,
            toRunning.toSeconds(),
            AuditedRequests.perMinute(audited.clientByVerb(), minutes),
            heapMiB,
            rssMiB,
            cpu,
            idleTimes,
            burst,
            burstTimes,
            burstAudit,
            resync.toMillis());
      }
    } finally {
      clusters.forEach(BenchSupport.Cluster::close);
      kubeletClients.forEach(KubernetesClient::close);
      k8s.close();
      LndStandIn.shareEtcdClients(false);
    }
  }

  /**
   * Per killed cluster: (a) how long the deposed leader stayed routed after the election left it,
   * (a') election turned to the new leader -> routed to it, (b) kill -> routed, and (b op) the
   * operator's share of (b): kill -> election moved (the kubelet's status write included, the
   * operator's revocation) plus the new leader active -> routed (the stand-in's own start left
   * out).
   */
  private record Times(
      List<Long> a,
      List<Long> elected,
      List<Long> b,
      List<Long> operatorShare,
      List<Killed> killed) {
    Times() {
      this(
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>());
    }

    @Override
    public String toString() {
      return "(a) "
          + Percentiles.of(a)
          + "; (a') "
          + Percentiles.of(elected)
          + "; (b) "
          + Percentiles.of(b)
          + "; (b op) "
          + Percentiles.of(operatorShare);
    }
  }

  private static void failover(
      KubernetesClient k8s, FailoverMarks marks, List<BenchSupport.Cluster> killed, Times t) {
    Map<String, String> before = routed(k8s);
    Map<String, String> leaders = new HashMap<>();
    killed.forEach(c -> leaders.put(c.ns(), before.get(c.ns())));
    Instant kill = Instant.now();
    // Each cluster's own kill instant: killing 100 stand-ins one after another takes over a second,
    // which is the harness's time, not the failover's.
    Map<String, Instant> killedAt = new HashMap<>();
    killed.forEach(
        c -> {
          killedAt.put(c.ns(), Instant.now());
          c.kubelet().killHard(leaders.get(c.ns()));
        });
    await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                killed.stream()
                    .allMatch(
                        c -> marks.routedAwayFrom(c.ns(), leaders.get(c.ns()), kill).isPresent()));
    for (BenchSupport.Cluster c : killed) {
      FailoverMarks.Mark routed = marks.routedAwayFrom(c.ns(), leaders.get(c.ns()), kill).get();
      Instant killedThis = killedAt.get(c.ns());
      t.b().add(Duration.between(killedThis, routed.at()).toMillis());
      Optional<FailoverMarks.Mark> elected = marks.electedBefore(c.ns(), routed.pod(), routed.at());
      elected.ifPresent(e -> t.elected().add(Duration.between(e.at(), routed.at()).toMillis()));
      LndStandIn successor = c.kubelet().standIn(routed.pod());
      Instant active = successor == null ? null : successor.activeSince();
      if (elected.isPresent() && active != null && !active.isAfter(routed.at())) {
        t.operatorShare()
            .add(
                Duration.between(killedThis, elected.get().at()).toMillis()
                    + Duration.between(active, routed.at()).toMillis());
      }
      marks.routedAfterDeposed(c.ns(), leaders.get(c.ns()), kill).ifPresent(t.a()::add);
      t.killed()
          .add(
              new Killed(
                  c.ns(),
                  leaders.get(c.ns()),
                  killedThis,
                  elected.map(FailoverMarks.Mark::at).orElse(null),
                  active,
                  routed.at()));
    }
    // The killed members come back as followers before the next round.
    await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> killed.stream().allMatch(c -> c.standingBy() == 3));
  }

  /**
   * One killed leader: its cluster's namespace and pod, when it was killed, when the election moved
   * to its successor, when the successor's LND was active and when the successor was routed.
   */
  private record Killed(
      String ns, String pod, Instant killed, Instant elected, Instant active, Instant routed) {}

  /**
   * What the API server's audit log adds to a round of kills: (a) measured by the API server's
   * answer to the operator's write that took the dead leader out of the slice (0 when it came
   * before the election moved); (b own), the operator's own share, from the API server's answer to
   * the kubelet's write of the killed container's status (when Kubernetes could first confirm the
   * death) to the election moving, plus the new leader active -> routed; the kubelet's write
   * itself, kill -> answered; and the time the operator's requests spent in the API server, by
   * verb, from the first kill to the last routing.
   */
  private static String fromAuditLog(Times t) throws Exception {
    if (t.killed().isEmpty()) {
      return "no kills";
    }
    Instant from = t.killed().stream().map(Killed::killed).min(Instant::compareTo).get();
    Instant to = t.killed().stream().map(Killed::routed).max(Instant::compareTo).get();
    audited(from, to.plusMillis(1));
    List<AuditedRequests.Completed> requests =
        AuditedRequests.completed(auditLog, from, to.plusMillis(1));
    List<Long> own = new ArrayList<>();
    List<Long> kubeletWrite = new ArrayList<>();
    List<Long> unrouted = new ArrayList<>();
    for (Killed k : t.killed()) {
      // The operator's first accepted write of the cluster's leader slice after the kill: the one
      // that took the dead leader out. Its answer against the election's move is (a) as the API
      // server has it, free of the lag of the benchmark's own watch of the slices.
      requests.stream()
          .filter(
              r ->
                  r.userAgent().startsWith(dev.operator.lightning.Main.USER_AGENT)
                      && "endpointslices".equals(r.resource())
                      && k.ns().equals(r.namespace())
                      && r.name().endsWith("-leader")
                      && !r.received().isBefore(k.killed())
                      && r.code() >= 200
                      && r.code() < 300
                      && !"get".equals(r.verb()))
          .findFirst()
          .filter(r -> k.elected() != null)
          .ifPresent(
              r ->
                  unrouted.add(
                      Math.max(0, Duration.between(k.elected(), r.answered()).toMillis())));
      Optional<AuditedRequests.Completed> statusWrite =
          requests.stream()
              .filter(
                  r ->
                      "pods".equals(r.resource())
                          && "status".equals(r.subresource())
                          && k.ns().equals(r.namespace())
                          && k.pod().equals(r.name())
                          && !r.received().isBefore(k.killed())
                          && (r.verb().equals("patch") || r.verb().equals("update")))
              .findFirst();
      if (statusWrite.isEmpty()) {
        continue;
      }
      Instant recorded = statusWrite.get().answered();
      kubeletWrite.add(Duration.between(k.killed(), recorded).toMillis());
      if (k.elected() != null
          && k.active() != null
          && !recorded.isAfter(k.elected())
          && !k.active().isAfter(k.routed())) {
        own.add(
            Duration.between(recorded, k.elected()).toMillis()
                + Duration.between(k.active(), k.routed()).toMillis());
      }
    }
    Map<String, List<Long>> operatorByVerb = new TreeMap<>();
    for (AuditedRequests.Completed r : requests) {
      if (r.userAgent().startsWith(dev.operator.lightning.Main.USER_AGENT)
          && !"watch".equals(r.verb())) {
        operatorByVerb.computeIfAbsent(r.verb(), v -> new ArrayList<>()).add(r.millis());
      }
    }
    StringBuilder verbs = new StringBuilder();
    operatorByVerb.forEach(
        (verb, ms) -> verbs.append(verb).append(' ').append(Percentiles.of(ms)).append("; "));
    return "(a) by the API server's answer to the unrouting write "
        + Percentiles.of(unrouted)
        + "; (b own) "
        + Percentiles.of(own)
        + "; kill -> kubelet's status write answered "
        + Percentiles.of(kubeletWrite)
        + "; operator's requests in the API server: "
        + verbs;
  }

  private static int running(KubernetesClient k8s, List<BenchSupport.Cluster> clusters) {
    Map<String, String> routed = routed(k8s);
    java.util.Set<String> ours = new java.util.HashSet<>();
    clusters.forEach(c -> ours.add(c.ns()));
    int n = 0;
    for (LightningCluster c :
        k8s.resources(LightningCluster.class).inAnyNamespace().list().getItems()) {
      if (c.getStatus() != null
          && "Running".equals(c.getStatus().phase)
          && routed.containsKey(c.getMetadata().getNamespace())
          && ours.contains(c.getMetadata().getNamespace())) {
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

  /**
   * The window's requests from the audit log, once the log holds a request received after it (the
   * API server writes it in batches).
   */
  private static AuditedRequests audited(Instant from, Instant to) throws Exception {
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .alias("the audit log to hold a request received after the steady window")
        .until(
            () ->
                AuditedRequests.read(
                            auditLog,
                            dev.operator.lightning.Main.USER_AGENT,
                            to,
                            Instant.now().plusSeconds(60))
                        .lines()
                    > 0);
    return AuditedRequests.read(auditLog, dev.operator.lightning.Main.USER_AGENT, from, to);
  }

  private static String perMinute(Map<String, Long> byVerb, double minutes) {
    Map<String, String> m = new TreeMap<>();
    for (String verb : List.of("GET", "LIST", "WATCH", "POST", "PATCH", "PUT", "DELETE")) {
      m.put(verb, String.format("%.1f", byVerb.getOrDefault(verb, 0L) / minutes));
    }
    return m.toString();
  }
}
