package dev.operator.lightning.chaos;

import dev.operator.lightning.it.DemoCluster;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The demo cluster a campaign hits: where its etcd members are and how to find them. */
final class ChaosTarget {
  private final DemoCluster demo;

  ChaosTarget(DemoCluster demo) {
    this.demo = demo;
  }

  DemoCluster demo() {
    return demo;
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

  /** Keeps a fault in place for its length: the fault's duration, not a wait for any state. */
  void hold(Duration length) {
    try {
      Thread.sleep(length.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
