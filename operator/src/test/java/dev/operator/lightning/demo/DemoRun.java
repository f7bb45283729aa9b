package dev.operator.lightning.demo;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.HostsFile;
import dev.operator.lightning.harness.ProcessKubelet;
import dev.operator.lightning.harness.RealLndLauncher;
import dev.operator.lightning.harness.Tools;
import dev.operator.lightning.it.BenchSupport;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.FileInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code make demo}: a real kube-apiserver, a real etcd, the operator, and the real lnd run by the
 * process kubelet. Applies manifests/examples/demo.yaml, shows the cluster and its events live
 * while a leader is elected and its wallet created, kills the leader hard, shows the failover with
 * its measured time, and stops everything it started.
 */
class DemoRun {
  private static final String NS = "demo";

  @Test
  void demo() throws Exception {
    say("starting a real kube-apiserver, etcd and the operator");
    KubernetesClient k8s = BenchSupport.client();
    // demo-etcd:2379 is what the demo cluster names; the operator resolves it through the
    // harness's hosts file, lnd through the kubelet's endpoint mapping.
    HostsFile.put("demo-etcd", "127.0.0.1");
    try (EtcdServer etcd = EtcdServer.start(2379);
        Main.Running operator = Main.start(k8s, Main.Settings.forTests())) {
      Function<String, String> dns = e -> e.equals("demo-etcd:2379") ? etcd.endpoint() : e;
      k8s.resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
          .serverSideApply();
      try (ProcessKubelet kubelet =
          new ProcessKubelet(k8s, NS, dns, new RealLndLauncher(k8s, dns))) {
        // Ctrl-C: stop the lnd processes and etcd too, not only the JVM.
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      kubelet.close();
                      etcd.close();
                    },
                    "demo-cleanup"));
        say("kubectl apply -n demo -f manifests/examples/demo.yaml");
        try (var in =
            new FileInputStream(
                Tools.locate().repoRoot().resolve("manifests/examples/demo.yaml").toFile())) {
          k8s.load(in).inNamespace(NS).serverSideApply();
        }
        Set<String> seen = new HashSet<>();
        String leader = watchUntil(k8s, seen, Duration.ofMinutes(3), null);
        say("leader " + leader + " is active and the only endpoint of Service demo");

        Instant kill = Instant.now();
        say("kill -9 of the leader's lnd (" + leader + ")");
        kubelet.killHard(leader);
        String next = watchUntil(k8s, seen, Duration.ofMinutes(2), leader);
        say(
            String.format(
                "failover: %s -> %s, active and routed %d ms after the kill (lease TTL 30 s)",
                leader, next, Duration.between(kill, Instant.now()).toMillis()));
        print(k8s);
        say("stopping everything the demo started");
        k8s.resources(LightningCluster.class).inNamespace(NS).withName("demo").delete();
      }
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
