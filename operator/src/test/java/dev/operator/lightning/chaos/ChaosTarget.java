package dev.operator.lightning.chaos;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.ApiServerOutage;
import dev.operator.lightning.harness.ElectionHistory;
import dev.operator.lightning.harness.InvariantMonitor;
import dev.operator.lightning.it.DemoCluster;
import dev.operator.lightning.it.EtcdMetrics;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.awaitility.core.ConditionTimeoutException;

/** The demo cluster a campaign hits: where its etcd members are and how to find them. */
final class ChaosTarget {
  private final DemoCluster demo;

  /** Reads etcd members' metrics; one for every read, not one per poll. */
  private final java.net.http.HttpClient metricsHttp =
      java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private InvariantMonitor monitor;

  ChaosTarget(DemoCluster demo) {
    this.demo = demo;
  }

  DemoCluster demo() {
    return demo;
  }

  /** The monitor judging the faults: one that takes the API server away must tell it when. */
  void judgedBy(InvariantMonitor monitor) {
    this.monitor = monitor;
  }

  /**
   * Stops kube-apiserver; closing the result starts it again, waits until it is ready and declares
   * the outage to the monitor, which then does not count a stale route against the operator.
   */
  AutoCloseable apiServerAway() {
    InvariantMonitor judge = Objects.requireNonNull(monitor, "no monitor to declare an outage to");
    // A control-plane node's API server gone: its scheduler and controller manager exit with it
    // (they cannot renew their leader lease) and start afresh once it is back. Left running with
    // stale informers, the scheduler backed off for up to a minute (a fenced member's new pod
    // waited unscheduled), and the node lifecycle controller, judging nodes by leases it had not
    // seen renewed, tainted them and had the leader and two etcd members evicted at the API
    // server's return: neither says anything about the operator.
    Runnable controllersBack = demo.cluster.controlPlane().stopControllers();
    ApiServerOutage outage = demo.cluster.controlPlane().stopApiServer();
    return () -> {
      try {
        outage.close();
        judge.apiServerAway(outage.stopped(), outage.back());
      } finally {
        controllersBack.run();
      }
    };
  }

  /**
   * Waits until etcd's election is led by a member other than {@code leader}, as the monitor sees
   * it; false when {@code limit} passed first.
   */
  boolean awaitElectionLeaves(String leader, Duration limit) {
    try {
      await()
          .atMost(limit)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                String now = monitor.election().leader();
                return now != null && !ElectionHistory.UNKNOWN.equals(now) && !now.equals(leader);
              });
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  /** The managed etcd's member pods. */
  List<String> etcdPods() {
    return List.of(
        DemoCluster.NAME + "-etcd-0", DemoCluster.NAME + "-etcd-1", DemoCluster.NAME + "-etcd-2");
  }

  /** Every address a member may dial etcd at: the client Service and each member's pod IP. */
  List<String> etcdEndpoints() {
    var client = demo.client();
    List<String> out = new ArrayList<>();
    out.add(
        client
                .services()
                .inNamespace(demo.ns)
                .withName(DemoCluster.NAME + "-etcd-client")
                .get()
                .getSpec()
                .getClusterIP()
            + ":2379");
    for (String name : etcdPods()) {
      Pod p = client.pods().inNamespace(demo.ns).withName(name).get();
      if (p != null && p.getStatus() != null && p.getStatus().getPodIP() != null) {
        out.add(p.getStatus().getPodIP() + ":2379");
      }
    }
    return out;
  }

  /**
   * The etcd member that leads its raft group, as its own metrics say. Readiness is probed every
   * few seconds, so all three can stand Ready while a raft election is under way (the make test
   * round once found none leading); this waits for one to lead rather than reading once.
   */
  String etcdLeader() {
    List<String> seen = new ArrayList<>();
    String[] leader = new String[1];
    try {
      // Polled on this thread, so the message reads what the last poll saw, not one under way.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInSameThread()
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                seen.clear();
                leader[0] = etcdLeaderNow(seen);
                return leader[0] != null;
              });
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          "no etcd member reported itself leader within 60 s; last seen: " + seen, e);
    }
    return leader[0];
  }

  /** The member whose metrics say it leads, or null, with what each member said in {@code seen}. */
  private String etcdLeaderNow(List<String> seen) {
    for (String name : etcdPods()) {
      String ip = podIp(name);
      if (ip == null) {
        seen.add(name + ": no pod IP");
        continue;
      }
      try {
        String metrics = metrics(ip);
        if (metrics.lines().anyMatch(l -> l.equals("etcd_server_is_leader 1"))) {
          return name;
        }
        seen.add(name + ": not leader");
      } catch (Exception e) {
        seen.add(name + ": " + e);
      }
    }
    return null;
  }

  /**
   * Each etcd member's resident memory, watch streams and database size, as its own metrics say: a
   * campaign's watches leaking into etcd grow these long before anything fails.
   */
  String etcdFigures() {
    List<String> out = new ArrayList<>();
    for (String name : etcdPods()) {
      String ip = podIp(name);
      if (ip == null) {
        out.add(name + " no pod IP");
        continue;
      }
      try {
        String metrics = metrics(ip);
        out.add(
            String.format(
                "%s %d MB RSS, %d watch streams, %d watchers, db %d MB",
                name,
                (long) (EtcdMetrics.gauge(metrics, "process_resident_memory_bytes") / (1 << 20)),
                (long) EtcdMetrics.gauge(metrics, "etcd_debugging_mvcc_watch_stream_total"),
                (long) EtcdMetrics.gauge(metrics, "etcd_debugging_mvcc_watcher_total"),
                (long)
                    (EtcdMetrics.gauge(metrics, "etcd_mvcc_db_total_size_in_bytes") / (1 << 20))));
      } catch (Exception e) {
        out.add(name + " " + e);
      }
    }
    return String.join("; ", out);
  }

  /** The member pod's IP as the API server has it now, or null while it has none. */
  private String podIp(String member) {
    Pod p = demo.client().pods().inNamespace(demo.ns).withName(member).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  private String metrics(String podIp) throws Exception {
    return EtcdMetrics.read(
        metricsHttp,
        "http://" + podIp + ":" + dev.operator.lightning.model.EtcdPaths.METRICS_PORT,
        Duration.ofSeconds(2));
  }

  /** Keeps a fault in place for its length: the fault's duration, not a wait for any state. */
  void hold(Duration length) {
    try {
      Thread.sleep(length.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
