package dev.operator.lightning.it;

import dev.operator.lightning.api.ElectionSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.LndStandIn;
import dev.operator.lightning.harness.ProcessKubelet;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.Names;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;

/** Test fixtures the benchmarks share with the integration tests. */
public final class BenchSupport {
  private BenchSupport() {}

  public static KubernetesClient client() {
    return ApiServerSupport.client();
  }

  /** A 3-member cluster on the given etcd, run by a stand-in kubelet. */
  public record Cluster(
      KubernetesClient k8s, String ns, String name, ProcessKubelet kubelet, String electionPrefix)
      implements AutoCloseable {
    /** Members whose LND answers (leader active or follower waiting). */
    public int standingBy() {
      int n = 0;
      for (int i = 0; i < 3; i++) {
        LndStandIn s = kubelet.standIn(name + "-" + i);
        if (s != null && (s.active() || "WAITING_TO_START".equals(s.state()))) {
          n++;
        }
      }
      return n;
    }

    /** A member other than {@code not} whose readiness probe passed after {@code after}. */
    public String probeReadyOtherThan(String not, Instant after) {
      for (int i = 0; i < 3; i++) {
        String pod = name + "-" + i;
        Instant t = kubelet.readySince(pod);
        if (!pod.equals(not) && t != null && t.isAfter(after)) {
          return pod;
        }
      }
      return null;
    }

    @Override
    public void close() {
      kubelet.close();
      k8s.resources(LightningCluster.class).inNamespace(ns).withName(name).delete();
    }
  }

  public static Cluster cluster(KubernetesClient k8s, EtcdServer etcd, String name, int ttl) {
    return cluster(k8s, k8s, etcd, name, ttl);
  }

  /**
   * @param kubeletClient the client of the cluster's kubelet: one HTTP/2 connection serves a
   *     limited number of watches, so hundreds of kubelets need several
   */
  public static Cluster cluster(
      KubernetesClient k8s, KubernetesClient kubeletClient, EtcdServer etcd, String name, int ttl) {
    String ns = ApiServerSupport.newNamespace(k8s, name);
    ProcessKubelet kubelet = new ProcessKubelet(kubeletClient, ns, e -> e);
    LightningCluster lc = Clusters.onEtcd(ns, name, etcd.endpoint(), ns + "/");
    lc.getSpec().election = new ElectionSpec();
    lc.getSpec().election.leaderSessionTtlSeconds = ttl;
    k8s.resource(lc).create();
    return new Cluster(
        k8s,
        ns,
        name,
        kubelet,
        ns + "/" + EffectiveSpec.defaultElectionPrefix(new Names(name, ns)) + "/");
  }
}
