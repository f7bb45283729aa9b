package dev.operator.lightning.demo;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.it.DemoCluster;
import dev.operator.lightning.it.Lncli;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code make demo}: the local cluster (a real kube-apiserver and kube-controller-manager, the pod
 * network, and a kubelet that runs pods as the real etcd and lnd), and the operator. Applies
 * manifests/examples/demo.yaml, shows the cluster and its events live while the managed etcd forms,
 * a leader is elected and its wallet created, asks the leader Service for the node's identity with
 * lncli, kills the leader hard, shows the failover with its measured time and the same identity
 * behind the Service, and stops everything it started (also on Ctrl-C).
 */
class DemoRun {
  private static final String NS = "demo";

  @Test
  void demo() {
    say("starting the local cluster (kube-apiserver, kube-controller-manager, pod network,");
    say("kubelet) and the operator");
    DemoCluster demo = DemoCluster.start(NS);
    // Ctrl-C: stop etcd, lnd and the control plane too, and remove the pod network.
    Thread cleanup = new Thread(demo::close, "demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      KubernetesClient k8s = demo.client();
      say("kubectl apply -n demo -f manifests/examples/demo.yaml");
      Instant applied = Instant.now();
      demo.apply();
      Set<String> seen = new HashSet<>();
      String leader = watchUntil(k8s, seen, Duration.ofMinutes(3), null);
      say(
          String.format(
              "leader %s is active and the only endpoint of Service demo, %d ms after apply",
              leader, Duration.between(applied, Instant.now()).toMillis()));
      String identity = Lncli.identityThroughLeaderService(demo.cluster, NS, "demo");
      say("lncli --rpcserver=demo.demo.svc:10009 getinfo -> identity_pubkey " + identity);

      Instant kill = Instant.now();
      say("kill -9 of the leader's lnd (" + leader + ")");
      demo.cluster.kubelet().killContainer(leader);
      String next = watchUntil(k8s, seen, Duration.ofMinutes(2), leader);
      say(
          String.format(
              "failover: %s -> %s, active and routed %d ms after the kill (lease TTL 30 s)",
              leader, next, Duration.between(kill, Instant.now()).toMillis()));
      String after = Lncli.identityThroughLeaderService(demo.cluster, NS, "demo");
      say(
          "lncli getinfo through the same Service -> identity_pubkey "
              + after
              + (after.equals(identity) ? " (the same node)" : " (DIFFERENT: state not shared!)"));
      print(k8s);
      say("stopping everything the demo started");
      k8s.resources(LightningCluster.class).inNamespace(NS).withName("demo").delete();
    } finally {
      Runtime.getRuntime().removeShutdownHook(cleanup);
      demo.close();
    }
  }

  /** Prints the table and new events until a leader other than {@code not} is routed and ready. */
  private static String watchUntil(
      KubernetesClient k8s, Set<String> seen, Duration max, String not) {
    String[] routed = new String[1];
    String[] last = new String[1];
    await()
        .atMost(max)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              for (Event e : k8s.v1().events().inNamespace(NS).list().getItems()) {
                if (seen.add(e.getMetadata().getName())) {
                  System.out.printf(
                      "  event %-8s %-18s %s%n", e.getType(), e.getReason(), e.getMessage());
                }
              }
              String table = table(k8s);
              if (!table.equals(last[0])) {
                System.out.println(table);
                last[0] = table;
              }
              EndpointSlice s =
                  k8s.discovery()
                      .v1()
                      .endpointSlices()
                      .inNamespace(NS)
                      .withName("demo-leader")
                      .get();
              if (s == null
                  || s.getEndpoints() == null
                  || s.getEndpoints().isEmpty()
                  || !Boolean.TRUE.equals(s.getEndpoints().get(0).getConditions().getReady())) {
                return false;
              }
              routed[0] = s.getEndpoints().get(0).getTargetRef().getName();
              return !routed[0].equals(not);
            });
    return routed[0];
  }

  private static void print(KubernetesClient k8s) {
    System.out.println(table(k8s));
  }

  /** What `kubectl get lnc` shows. */
  private static String table(KubernetesClient k8s) {
    LightningCluster c =
        k8s.resources(LightningCluster.class).inNamespace(NS).withName("demo").get();
    LightningClusterStatus s = c == null ? null : c.getStatus();
    return String.format(
        "  NAME   LEADER   READY   PHASE%n  demo   %-8s %-7s %s",
        s == null || s.leader == null ? "" : s.leader.pod,
        s == null ? "" : s.ready,
        s == null ? "" : s.phase);
  }

  private static void say(String what) {
    System.out.println("==> " + what);
  }
}
