package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.ElectionSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.ProcessKubelet;
import dev.operator.lightning.model.EffectiveSpec;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;

/**
 * One cluster on a test etcd, in its own namespace, with its members run by a stand-in kubelet and
 * every version of its leader EndpointSlice checked against the election (invariant 1).
 */
final class MemberScenario implements AutoCloseable {
  static final Duration DEADLINE = Duration.ofSeconds(60);
  private final KubernetesClient client;

  final String ns;
  final String name;
  final ProcessKubelet kubelet;
  final RoutingInvariant invariant;

  /** The etcd keys the cluster's election lists (namespace, prefix and "/"). */
  final String electionPrefix;

  MemberScenario(
      KubernetesClient client,
      EtcdServer etcd,
      String prefix,
      String name,
      Integer ttl,
      String etcdNamespace) {
    this(client, etcd, prefix, name, ttl, etcdNamespace, false, c -> {});
  }

  /**
   * @param walletRequired members start without a wallet, as a new LND cluster does
   * @param customize changes the cluster (in its new namespace) before it is created
   */
  MemberScenario(
      KubernetesClient client,
      EtcdServer etcd,
      String prefix,
      String name,
      Integer ttl,
      String etcdNamespace,
      boolean walletRequired,
      java.util.function.Consumer<LightningCluster> customize) {
    this.client = client;
    this.ns = ApiServerSupport.newNamespace(prefix);
    this.name = name;
    this.kubelet = new ProcessKubelet(client, ns, e -> e, walletRequired);
    // Clusters on one etcd need data namespaces of their own (the operator refuses a shared one).
    String keyNamespace = etcdNamespace == null ? ns + "/" : etcdNamespace;
    LightningCluster lc = Clusters.onEtcd(ns, name, etcd.endpoint(), keyNamespace);
    if (ttl != null) {
      lc.getSpec().election = new ElectionSpec();
      lc.getSpec().election.leaderSessionTtlSeconds = ttl;
    }
    customize.accept(lc);
    EffectiveSpec spec = EffectiveSpec.of(lc);
    this.electionPrefix = keyNamespace + spec.electionPrefix() + "/";
    this.invariant =
        new RoutingInvariant(client, ns, name + "-leader", etcd.endpoint(), electionPrefix);
    client.resource(lc).create();
  }

  LightningClusterStatus status() {
    return cluster().getStatus();
  }

  /** The LightningCluster as the API server has it now. */
  LightningCluster cluster() {
    return client.resources(LightningCluster.class).inNamespace(ns).withName(name).get();
  }

  /** The single ready endpoint of the leader Service, or null. */
  String routed() {
    EndpointSlice s =
        client.discovery().v1().endpointSlices().inNamespace(ns).withName(name + "-leader").get();
    if (s == null || s.getEndpoints() == null || s.getEndpoints().isEmpty()) {
      return null;
    }
    Endpoint e = s.getEndpoints().get(0);
    return Boolean.TRUE.equals(e.getConditions().getReady()) ? e.getTargetRef().getName() : null;
  }

  /** Waits until a leader is elected, active, Ready and the only routed endpoint. */
  String awaitRoutedLeader(String notThis) {
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              String r = routed();
              LightningClusterStatus s = status();
              String seen = describe(r, s);
              assertThat(r).as("routed endpoint; seen %s", seen).isNotNull().isNotEqualTo(notThis);
              assertThat(s.leader).as("status.leader; seen %s", seen).isNotNull();
              assertThat(s.leader.pod).as("status.leader.pod; seen %s", seen).isEqualTo(r);
              assertThat(kubelet.member(r)).as("stand-in of %s; seen %s", r, seen).isNotNull();
              assertThat(kubelet.member(r).active()).as("%s active; seen %s", r, seen).isTrue();
            });
    return routed();
  }

  String describe(String routed, LightningClusterStatus s) {
    StringBuilder b = new StringBuilder("routed=" + routed);
    if (s == null) {
      return b.append(" status=null").toString();
    }
    b.append(" leader=").append(s.leader == null ? null : s.leader.pod);
    s.conditions.forEach(
        c ->
            b.append(' ')
                .append(c.getType())
                .append('=')
                .append(c.getStatus())
                .append('/')
                .append(c.getReason())
                .append(
                    "True".equals(c.getStatus()) && "Degraded".equals(c.getType())
                        ? "(" + c.getMessage() + ")"
                        : ""));
    s.members.forEach(
        m ->
            b.append(' ')
                .append(m.pod)
                .append(':')
                .append(m.ready)
                .append(':')
                .append(m.lndState)
                .append(':')
                .append(
                    kubelet.member(m.pod) == null ? "no-standin" : kubelet.member(m.pod).state()));
    return b.toString();
  }

  List<String> events(String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .map(Event::getMessage)
        .toList();
  }

  void assertInvariantHeld() {
    // After an etcd restart the monitor's own watch lists the election again on its own time;
    // judge nothing until it sees the election.
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(invariant.following())
                    .as("the monitor follows the election again; history %s", invariant.history())
                    .isTrue());
    assertThat(invariant.violations())
        .as("invariant 1 violations; history %s", invariant.history())
        .isEmpty();
    assertThat(invariant.seen()).as("slice versions seen").isPositive();
    assertThat(invariant.verified())
        .as("slice versions verified against the election history, of %d seen", invariant.seen())
        .isEqualTo(invariant.seen());
  }

  @Override
  public void close() {
    invariant.close();
    kubelet.close();
    client.resources(LightningCluster.class).inNamespace(ns).withName(name).delete();
  }
}
