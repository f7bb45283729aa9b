package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.Main;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.harness.LocalCluster;
import dev.operator.lightning.harness.LocalNode;
import dev.operator.lightning.harness.Namespaces;
import dev.operator.lightning.harness.Tools;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The operator on a {@link LocalCluster}, with {@code manifests/examples/demo.yaml} (cluster
 * {@value #NAME}: 3 real lnd members on a managed etcd of 3) applied in its namespace.
 */
public final class DemoCluster implements AutoCloseable {
  public static final String NAME = "demo";

  public final String ns;
  public final LocalCluster cluster;
  private Main.Running operator;

  private DemoCluster(String ns, boolean outside) {
    this.ns = ns;
    this.cluster = outside ? LocalCluster.startWithOutsideNode(ns) : LocalCluster.start(ns);
    try {
      ApiServerSupport.installCrd(client());
      client().resource(Namespaces.restricted(ns)).serverSideApply();
      this.operator = Main.start(client(), Main.Settings.forTests());
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** Starts the local cluster and the operator; {@link #apply} creates the demo cluster. */
  public static DemoCluster start(String ns) {
    return new DemoCluster(ns, false);
  }

  /**
   * As {@link #start(String)}, with a fourth node for what the demo talks to (a chain backend, a
   * channel peer): only pods placed with {@link #outside} run there.
   */
  public static DemoCluster startWithOutsideNode(String ns) {
    return new DemoCluster(ns, true);
  }

  /** Places a pod on the outside node: its selector and the toleration of the node's taint. */
  public static void outside(io.fabric8.kubernetes.api.model.PodSpec pod) {
    pod.setNodeSelector(java.util.Map.of(LocalNode.HOSTNAME_LABEL, LocalNode.OUTSIDE.name()));
    pod.setTolerations(java.util.List.of(outsideToleration()));
  }

  /** Places a cluster's members and managed etcd on the outside node. */
  public static LightningCluster outside(LightningCluster lc) {
    lc.getSpec().nodeSelector =
        java.util.Map.of(LocalNode.HOSTNAME_LABEL, LocalNode.OUTSIDE.name());
    lc.getSpec().tolerations = java.util.List.of(outsideToleration());
    return lc;
  }

  private static io.fabric8.kubernetes.api.model.Toleration outsideToleration() {
    return new io.fabric8.kubernetes.api.model.TolerationBuilder()
        .withKey(LocalNode.OUTSIDE_TAINT)
        .withOperator("Exists")
        .withEffect("NoSchedule")
        .build();
  }

  /** Applies manifests/examples/demo.yaml in this namespace, as kubectl apply would. */
  public void apply() {
    apply(demo());
  }

  /** manifests/examples/demo.yaml as written, for a test to change before applying it. */
  public LightningCluster demo() {
    return client()
        .resources(LightningCluster.class)
        .load(Tools.locate().repoRoot().resolve("manifests/examples/demo.yaml").toFile())
        .item();
  }

  /** Applies a LightningCluster in this namespace, as kubectl apply would. */
  public void apply(LightningCluster lc) {
    lc.getMetadata().setNamespace(ns);
    client().resource(lc).serverSideApply();
  }

  /**
   * Stops the operator and starts a new one against the same cluster, as a crashed and rescheduled
   * operator pod would come back: whatever it was doing is cut off, and it learns everything anew.
   */
  public synchronized void restartOperator() {
    operator.close();
    operator = Main.start(client(), Main.Settings.forTests());
  }

  /** How many reconciliations threw so far (a bug: everything after the throw was skipped). */
  public double failedReconciliations() {
    return Reconciliations.failed(operator);
  }

  public KubernetesClient client() {
    return cluster.client();
  }

  public LightningClusterStatus status() {
    return status(NAME);
  }

  public LightningClusterStatus status(String name) {
    LightningCluster lc =
        client().resources(LightningCluster.class).inNamespace(ns).withName(name).get();
    return lc == null ? null : lc.getStatus();
  }

  /** The member the demo cluster's leader EndpointSlice routes to now, or null. */
  public String routedMember() {
    var slice =
        client().discovery().v1().endpointSlices().inNamespace(ns).withName(NAME + "-leader").get();
    return slice == null || slice.getEndpoints() == null || slice.getEndpoints().isEmpty()
        ? null
        : slice.getEndpoints().get(0).getTargetRef().getName();
  }

  /** The demo cluster's CA, as its admin Secret hands it to clients. */
  public java.security.cert.X509Certificate clusterCa() throws Exception {
    var admin = client().secrets().inNamespace(ns).withName(NAME + "-admin").get();
    byte[] pem = java.util.Base64.getDecoder().decode(admin.getData().get("ca.crt"));
    return (java.security.cert.X509Certificate)
        java.security.cert.CertificateFactory.getInstance("X.509")
            .generateCertificate(new java.io.ByteArrayInputStream(pem));
  }

  /** The demo cluster's session TTL as applied. */
  public int leaderSessionTtlSeconds() {
    return client()
        .resources(LightningCluster.class)
        .inNamespace(ns)
        .withName(NAME)
        .get()
        .getSpec()
        .election
        .leaderSessionTtlSeconds;
  }

  /** Every demo member's state read every 100 ms by pod IP, independently of the operator. */
  public MemberStates memberStates() throws Exception {
    return new MemberStates(
        new dev.operator.lightning.lnd.LndRestClient(clusterCa()),
        memberHosts(),
        cluster.nodes()::podIp);
  }

  /** Member pod name -> its DNS name under the members Service, for the 3 demo members. */
  public java.util.Map<String, String> memberHosts() {
    java.util.Map<String, String> hosts = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      String pod = NAME + "-" + i;
      hosts.put(pod, pod + "." + NAME + "-members." + ns + ".svc");
    }
    return hosts;
  }

  /** A leader other than notThis, active, in status and alone in the leader slice. */
  public String awaitLeader(String notThis, Duration deadline) {
    return awaitLeader(NAME, notThis, deadline);
  }

  /** A leader of cluster {@code name} other than notThis, active, in status, alone in its slice. */
  public String awaitLeader(String name, String notThis, Duration deadline) {
    try {
      return awaitLeaderOrFail(name, notThis, deadline);
    } catch (AssertionError | RuntimeException e) {
      printPodLogs();
      throw e;
    }
  }

  /** The end of every container log, so a failure shows what lnd and etcd said. */
  public void printPodLogs() {
    for (Pod p : client().pods().inNamespace(ns).list().getItems()) {
      Path log = cluster.nodes().log(p.getMetadata().getName());
      try {
        List<String> lines = log == null ? List.of() : Files.readAllLines(log);
        System.out.printf(
            "---- %s (last 40 lines of %s)%n%s%n",
            p.getMetadata().getName(),
            log,
            String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      } catch (java.io.IOException e) {
        System.out.printf("---- %s: no log (%s)%n", p.getMetadata().getName(), e);
      }
    }
  }

  private String awaitLeaderOrFail(String name, String notThis, Duration deadline) {
    KubernetesClient client = client();
    String[] leader = new String[1];
    await()
        .atMost(deadline)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              LightningClusterStatus s = status(name);
              assertThat(s).as("status of %s", name).isNotNull();
              assertThat(s.leader).as("status.leader; members %s", s.members).isNotNull();
              assertThat(s.leader.pod).isNotEqualTo(notThis);
              var slice =
                  client
                      .discovery()
                      .v1()
                      .endpointSlices()
                      .inNamespace(ns)
                      .withName(name + "-leader")
                      .get();
              assertThat(slice.getEndpoints())
                  .as("leader slice endpoints")
                  .singleElement()
                  .satisfies(e -> assertThat(e.getTargetRef().getName()).isEqualTo(s.leader.pod));
              assertThat(s.members)
                  .as("members %s", s.members)
                  .anySatisfy(
                      m -> {
                        assertThat(m.pod).isEqualTo(s.leader.pod);
                        assertThat(m.lndState).isIn("RPC_ACTIVE", "SERVER_ACTIVE");
                      });
              leader[0] = s.leader.pod;
            });
    return leader[0];
  }

  @Override
  public void close() {
    try {
      operator.close();
    } finally {
      cluster.close();
    }
  }
}
