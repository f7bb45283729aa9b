package dev.operator.lightning.bench;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.ProcessKubelet;
import dev.operator.lightning.it.BenchSupport;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code make bench-failover}: prints failover figures; asserts nothing about them. Members are LND
 * stand-ins with LND's default 90 s session TTL, killed hard (no resign) again and again.
 *
 * <ul>
 *   <li>(a) election change in etcd -> leader EndpointSlice updated (operator);
 *   <li>(b) leader killed -> new leader active and routed (operator, lease revocation);
 *   <li>(c) the seed's probe-only routing (readiness period 1 s) for the same events: election
 *       change -> new leader's pod Ready;
 *   <li>(d) without the operator: leader killed -> the TTL expires, a new leader is elected and its
 *       probe passes.
 * </ul>
 *
 * Knobs: -Dbench.failovers (default 30), -Dbench.ttlFailovers (default 2; each takes ~90 s).
 */
class FailoverBench {
  private static final int TTL = 90;

  record Mark(Instant at, String leader, boolean ready) {}

  @Test
  void failover() throws Exception {
    int failovers = Integer.getInteger("bench.failovers", 30);
    int ttlFailovers = Integer.getInteger("bench.ttlFailovers", 2);
    KubernetesClient k8s = BenchSupport.client();
    try (EtcdServer etcd = EtcdServer.start();
        Client watcher = Client.builder().endpoints(etcd.url()).build()) {
      Main.Running operator = Main.start(k8s, Main.Settings.forTests());
      BenchSupport.Cluster c = BenchSupport.cluster(k8s, etcd, "bench", TTL);
      List<Mark> elections = new CopyOnWriteArrayList<>();
      List<Mark> slices = new CopyOnWriteArrayList<>();
      ByteSequence prefix = ByteSequence.from(c.electionPrefix(), StandardCharsets.UTF_8);
      // The election as etcd orders it, kept from events (no reads inside the callback).
      java.util.Map<String, long[]> revs = new java.util.concurrent.ConcurrentHashMap<>();
      java.util.Map<String, String> ids = new java.util.concurrent.ConcurrentHashMap<>();
      var initial =
          watcher
              .getKVClient()
              .get(prefix, GetOption.builder().isPrefix(true).build())
              .get(5, TimeUnit.SECONDS);
      initial
          .getKvs()
          .forEach(
              kv -> {
                String k = kv.getKey().toString(StandardCharsets.UTF_8);
                revs.put(k, new long[] {kv.getCreateRevision()});
                ids.put(k, kv.getValue().toString(StandardCharsets.UTF_8));
              });
      watcher
          .getWatchClient()
          .watch(
              prefix,
              WatchOption.builder()
                  .isPrefix(true)
                  .withRevision(initial.getHeader().getRevision() + 1)
                  .build(),
              resp -> {
                Instant at = Instant.now();
                for (var e : resp.getEvents()) {
                  String k = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
                  if (e.getEventType() == io.etcd.jetcd.watch.WatchEvent.EventType.PUT) {
                    revs.put(k, new long[] {e.getKeyValue().getCreateRevision()});
                    ids.put(k, e.getKeyValue().getValue().toString(StandardCharsets.UTF_8));
                  } else {
                    revs.remove(k);
                    ids.remove(k);
                  }
                }
                String leader =
                    revs.entrySet().stream()
                        .min(java.util.Comparator.comparingLong(x -> x.getValue()[0]))
                        .map(x -> ids.get(x.getKey()))
                        .orElse(null);
                synchronized (elections) {
                  if (elections.isEmpty()
                      || !java.util.Objects.equals(
                          elections.get(elections.size() - 1).leader(), leader)) {
                    elections.add(new Mark(at, leader, true));
                  }
                }
              });
      Watch sliceWatch =
          k8s.discovery()
              .v1()
              .endpointSlices()
              .inNamespace(c.ns())
              .withName(c.name() + "-leader")
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, EndpointSlice s) {
                      List<Endpoint> eps = s.getEndpoints() == null ? List.of() : s.getEndpoints();
                      slices.add(
                          eps.isEmpty()
                              ? new Mark(Instant.now(), null, false)
                              : new Mark(
                                  Instant.now(),
                                  eps.get(0).getTargetRef().getName(),
                                  Boolean.TRUE.equals(eps.get(0).getConditions().getReady())));
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
      ProcessKubelet kubelet = c.kubelet();
      List<Long> a = new ArrayList<>();
      List<Long> b = new ArrayList<>();
      List<Long> probe = new ArrayList<>();
      String leader = awaitRouted(c, slices, null, Instant.EPOCH);
      for (int i = 0; i < failovers; i++) {
        awaitStandby(kubelet, c, 3);
        Instant kill = Instant.now();
        kubelet.killHard(leader);
        String next = awaitRouted(c, slices, leader, kill);
        Mark change = first(elections, kill, next);
        Mark routedAny = firstSlice(slices, change.at(), next, false);
        Mark routedReady = firstSlice(slices, kill, next, true);
        a.add(Duration.between(change.at(), routedAny.at()).toMillis());
        b.add(Duration.between(kill, routedReady.at()).toMillis());
        // The operator may route the new leader before its probe passes: wait for the probe.
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () ->
                    kubelet.readySince(next) != null
                        && kubelet.readySince(next).isAfter(change.at()));
        probe.add(Duration.between(change.at(), kubelet.readySince(next)).toMillis());
        leader = next;
      }

      // (d) the same kill without the operator: only the TTL ends the dead leader's session.
      operator.close();
      List<Long> d = new ArrayList<>();
      for (int i = 0; i < ttlFailovers; i++) {
        awaitStandby(kubelet, c, 3);
        Instant kill = Instant.now();
        String dead = leader;
        kubelet.killHard(dead);
        await()
            .atMost(Duration.ofSeconds(TTL * 2L))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> c.probeReadyOtherThan(dead, kill) != null);
        String next = c.probeReadyOtherThan(dead, kill);
        d.add(Duration.between(kill, kubelet.readySince(next)).toMillis());
        leader = next;
      }
      sliceWatch.close();

      System.out.println();
      System.out.println(
          "Failover benchmark: "
              + failovers
              + " hard kills of the leader, LND session TTL "
              + TTL
              + " s");
      System.out.printf("%-62s %8s %8s %8s%n", "", "p50 ms", "p99 ms", "max ms");
      Percentiles.row("(a) election change -> EndpointSlice updated (operator)", a);
      Percentiles.row("(b) leader killed -> new leader active and routed (operator)", b);
      Percentiles.row("(c) election change -> routed by readiness probe only (1 s)", probe);
      Percentiles.row(
          "(d) leader killed -> routed after TTL expiry, no operator (n=" + d.size() + ")", d);
      System.out.printf(
          "ratio (c)/(a) at p50: %.1fx   ratio (d)/(b) at p50: %.1fx%n",
          (double) Percentiles.pct(probe, 50) / Math.max(1, Percentiles.pct(a, 50)),
          d.isEmpty()
              ? Double.NaN
              : (double) Percentiles.pct(d, 50) / Math.max(1, Percentiles.pct(b, 50)));
      c.close();
    }
  }

  private static String awaitRouted(
      BenchSupport.Cluster c, List<Mark> slices, String notThis, Instant after) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () ->
                slices.stream()
                    .anyMatch(
                        m ->
                            m.at().isAfter(after)
                                && m.ready()
                                && m.leader() != null
                                && !m.leader().equals(notThis)));
    return slices.stream()
        .filter(
            m ->
                m.at().isAfter(after)
                    && m.ready()
                    && m.leader() != null
                    && !m.leader().equals(notThis))
        .findFirst()
        .orElseThrow()
        .leader();
  }

  private static void awaitStandby(ProcessKubelet kubelet, BenchSupport.Cluster c, int members) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> c.standingBy() == members);
  }

  private static Mark first(List<Mark> marks, Instant after, String leader) {
    return marks.stream()
        .filter(m -> !m.at().isBefore(after) && leader.equals(m.leader()))
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("no election of " + leader + " seen after " + after));
  }

  private static Mark firstSlice(List<Mark> marks, Instant after, String leader, boolean ready) {
    return marks.stream()
        .filter(m -> !m.at().isBefore(after) && leader.equals(m.leader()) && (!ready || m.ready()))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no slice for " + leader + " after " + after));
  }
}
