package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.api.SecretRef;
import dev.operator.lightning.api.WalletSpec;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.model.SecretBuilders;
import dev.operator.lightning.reconcile.ClusterReads;
import dev.operator.lightning.reconcile.ClusterReconciliation;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Calls one reconcile pass directly against the real kube-apiserver, with no operator running, so
 * the writes of each pass can be counted exactly.
 */
class ClusterReconciliationIT {
  private final KubernetesClient client = ApiServerSupport.client();

  @Test
  void secondPassOverAnUnchangedManagedClusterWritesAndReadsNothing() {
    String ns = ApiServerSupport.newNamespace("idem");
    client.resource(Clusters.managed(ns, "gamma")).create();
    WriteCounter counter = new WriteCounter();
    try (CachedReads caches = new CachedReads(client, counter.client, ns)) {
      ClusterReconciliation reconciliation = Reconciliations.direct(counter.client, caches.reads());

      reconciliation.reconcile(fresh(ns, "gamma"));
      assertThat(counter.writes).as("first pass creates the objects").hasSizeGreaterThan(15);
      awaitCaught(caches);

      counter.clear();
      reconciliation.reconcile(fresh(ns, "gamma"));
      assertThat(counter.writes).as("writes of the second pass").isEmpty();
      assertThat(counter.reads)
          .as("API reads of the second pass: every object comes from the caches")
          .isEmpty();

      // A real change is written, and only that change.
      LightningCluster changed = fresh(ns, "gamma");
      changed.getSpec().service = new dev.operator.lightning.api.ServiceSpec();
      changed.getSpec().service.type = dev.operator.lightning.api.ServiceType.LoadBalancer;
      client.resource(changed).update();
      counter.clear();
      reconciliation.reconcile(fresh(ns, "gamma"));
      assertThat(counter.writes)
          .as("writes after changing the Service type")
          .anyMatch(w -> w.endsWith("/services/gamma"))
          .noneMatch(w -> w.contains("/pods"))
          .noneMatch(w -> w.contains("/statefulsets"));
      assertThat(client.services().inNamespace(ns).withName("gamma").get().getSpec().getType())
          .isEqualTo("LoadBalancer");
    }
  }

  /**
   * The steady state that matters: members running, a leader elected in etcd, active and routed.
   * Passes over it (the periodic one every cluster gets) must cost the API server nothing, or 1,000
   * clusters would.
   */
  @Test
  void passesOverAClusterWithARoutedLeaderReadAndWriteNothing() {
    WriteCounter counter = new WriteCounter();
    try (EtcdServer etcd = EtcdServer.start();
        MemberScenario s = new MemberScenario(client, etcd, "steady", "kappa", null, null);
        CachedReads caches = new CachedReads(client, counter.client, s.ns)) {
      ClusterReconciliation reconciliation = Reconciliations.direct(counter.client, caches.reads());
      passUntilRouted(
          reconciliation,
          s,
          "a routed, active leader named in the status, passes driving the cluster",
          routed -> s.kubelet.member(routed) != null && s.kubelet.member(routed).active());
      String leader = s.routed();

      // The caches catch up with the passes' own writes; then three passes in a row ask nothing.
      int[] quiet = {0};
      List<String> lastRequests = new ArrayList<>();
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  counter.clear();
                  reconciliation.reconcile(fresh(s.ns, "kappa"));
                  lastRequests.clear();
                  lastRequests.addAll(counter.reads);
                  lastRequests.addAll(counter.writes);
                  quiet[0] = lastRequests.isEmpty() ? quiet[0] + 1 : 0;
                  return quiet[0] >= 3;
                });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(
            "passes over a cluster whose leader is routed kept asking the API server; the last"
                + " pass sent "
                + lastRequests,
            e);
      }
      assertThat(s.routed()).as("the leader routed through the quiet passes").isEqualTo(leader);
      s.assertInvariantHeld();
    }
  }

  /**
   * An operator that starts over a running cluster (a restart, a new lease holder) has not heard
   * the election yet when its first pass begins. That pass must report the election it finds:
   * reporting it unobserved for a moment flipped every cluster's Ready condition to False and back
   * after a restart, and wrote every status and four events twice (a resync of 1,000 clusters took
   * a minute).
   */
  @Test
  void theFirstPassOfARestartedOperatorReportsTheElectionItFindsAndWritesNothing()
      throws Exception {
    WriteCounter counter = new WriteCounter();
    try (EtcdServer etcd = EtcdServer.start();
        MemberScenario s = new MemberScenario(client, etcd, "restart", "iota", null, null);
        CachedReads caches = new CachedReads(client, counter.client, s.ns)) {
      ClusterReconciliation before = Reconciliations.direct(counter.client, caches.reads());
      await()
          .atMost(MemberScenario.DEADLINE)
          .pollInterval(Duration.ofMillis(100))
          .alias(
              "a routed, active leader whose pod is Ready (as its readiness probe has it), reported"
                  + " Ready, then a pass that writes nothing")
          .until(
              () -> {
                counter.clear();
                before.reconcile(fresh(s.ns, "iota"));
                String routed = s.routed();
                var status = s.status();
                return counter.writes.isEmpty()
                    && routed != null
                    && podReady(s.ns, routed)
                    && status.leader != null
                    && routed.equals(status.leader.pod)
                    && "True".equals(condition(status, "Ready"));
              });
      before.close();
      // Any write moves etcd's revision past the one the slice names, as time does in a running
      // cluster: the restarted operator lists the election at a later revision.
      try (io.etcd.jetcd.Client etcdClient =
          io.etcd.jetcd.Client.builder().endpoints(etcd.url()).build()) {
        etcdClient
            .getKVClient()
            .put(
                io.etcd.jetcd.ByteSequence.from("/unrelated", StandardCharsets.UTF_8),
                io.etcd.jetcd.ByteSequence.from("x", StandardCharsets.UTF_8))
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
      }

      // The operator restarted: a new observer, which has listed no election yet.
      ClusterReconciliation restarted = Reconciliations.direct(counter.client, caches.reads());
      counter.clear();
      restarted.reconcile(fresh(s.ns, "iota"));
      var status = s.status();
      assertThat(condition(status, "LeaderElected"))
          .as("LeaderElected after the restarted operator's first pass")
          .isEqualTo("True");
      assertThat(condition(status, "Ready"))
          .as("Ready after the restarted operator's first pass")
          .isEqualTo("True");
      // Nor its EndpointSlice, though the new observer knows a later revision than the one the
      // slice was written with.
      assertThat(counter.writes)
          .as("writes of the restarted operator's first pass over an unchanged cluster")
          .isEmpty();
      restarted.close();
    }
  }

  /** Passes until the routed leader is the one the status names, and {@code also} holds for it. */
  private void passUntilRouted(
      ClusterReconciliation reconciliation,
      MemberScenario s,
      String alias,
      java.util.function.Predicate<String> also) {
    await()
        .atMost(MemberScenario.DEADLINE)
        .pollInterval(Duration.ofMillis(100))
        .alias(alias)
        .until(
            () -> {
              reconciliation.reconcile(fresh(s.ns, s.name));
              String routed = s.routed();
              var status = s.status();
              return routed != null
                  && status.leader != null
                  && routed.equals(status.leader.pod)
                  && also.test(routed);
            });
  }

  private boolean podReady(String ns, String pod) {
    Pod p = client.pods().inNamespace(ns).withName(pod).get();
    return p != null
        && p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String condition(
      dev.operator.lightning.api.LightningClusterStatus status, String type) {
    return status == null
        ? null
        : status.conditions.stream()
            .filter(c -> type.equals(c.getType()))
            .map(c -> c.getStatus())
            .findFirst()
            .orElse(null);
  }

  @Test
  void aCacheThatHasNotSeenAnObjectFallsBackToTheApiServerAndNeverOverwritesGeneratedMaterial() {
    String ns = ApiServerSupport.newNamespace("lag");
    client.resource(Clusters.managed(ns, "theta")).create();
    Reconciliations.direct(client).reconcile(fresh(ns, "theta"));
    var ca = client.secrets().inNamespace(ns).withName("theta-ca").get();
    var wallet = client.secrets().inNamespace(ns).withName("theta-wallet").get();

    // Caches that have seen nothing yet: the pass must ask the API server, not regenerate.
    WriteCounter counter = new WriteCounter();
    ClusterReads empty = new ClusterReads(counter.client);
    ClusterReads.Cache<io.fabric8.kubernetes.api.model.Secret> none = new EmptyCache<>();
    empty.secrets(none, none);
    empty.cache(io.fabric8.kubernetes.api.model.Service.class, new EmptyCache<>());
    empty.cache(io.fabric8.kubernetes.api.model.apps.StatefulSet.class, new EmptyCache<>());
    empty.cache(
        io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class, new EmptyCache<>());
    empty.cache(
        io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class, new EmptyCache<>());
    Reconciliations.direct(counter.client, empty).reconcile(fresh(ns, "theta"));
    assertThat(counter.reads).as("reads of what the caches lack").isNotEmpty();
    assertThat(counter.writes).as("writes over a cluster that is unchanged").isEmpty();
    assertThat(client.secrets().inNamespace(ns).withName("theta-ca").get().getData())
        .isEqualTo(ca.getData());
    assertThat(client.secrets().inNamespace(ns).withName("theta-wallet").get().getData())
        .isEqualTo(wallet.getData());
  }

  /** A cache that has not caught up with anything. */
  private static final class EmptyCache<T extends io.fabric8.kubernetes.api.model.HasMetadata>
      implements ClusterReads.Cache<T> {
    @Override
    public java.util.Optional<T> get(String namespace, String name) {
      return java.util.Optional.empty();
    }

    @Override
    public java.util.stream.Stream<T> list(String namespace) {
      return java.util.stream.Stream.empty();
    }
  }

  /** Waits until the caches hold what the API server holds, as after the watch events arrive. */
  private static void awaitCaught(CachedReads caches) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(caches.versions())
                    .as("cached objects and versions (the API server has the expected ones)")
                    .isEqualTo(caches.liveVersions()));
  }

  @Test
  void externalEtcdClusterUsesTheGivenEndpointAndNoManagedEtcd() {
    String ns = ApiServerSupport.newNamespace("ext");
    client
        .resource(
            LightningClusterReconcilerIT.secret(
                ns,
                "etcd-tls",
                Map.of(
                    "ca.crt", "-----BEGIN CERTIFICATE-----\nx\n", "tls.crt", "c", "tls.key", "k")))
        .create();
    client
        .resource(
            LightningClusterReconcilerIT.secret(
                ns, "etcd-user", Map.of("username", "lnd-delta", "password", "etcd-s3cret-pw")))
        .create();
    LightningCluster lc = Clusters.external(ns, "delta", "etcd-tls");
    lc.getSpec().etcd.external.credentialsSecretRef = new SecretRef("etcd-user");
    client.resource(lc).create();
    WriteCounter counter = new WriteCounter();
    CachedReads caches = new CachedReads(client, counter.client, ns);
    ClusterReconciliation reconciliation = Reconciliations.direct(counter.client, caches.reads());
    reconciliation.reconcile(fresh(ns, "delta"));

    assertThat(client.apps().statefulSets().inNamespace(ns).list().getItems()).isEmpty();
    assertThat(
            LightningClusterReconcilerIT.names(client.services().inNamespace(ns).list().getItems()))
        .containsExactlyInAnyOrder("delta", "delta-members");
    assertThat(
            LightningClusterReconcilerIT.names(client.secrets().inNamespace(ns).list().getItems()))
        .containsExactlyInAnyOrder(
            "etcd-tls",
            "etcd-user",
            "delta-ca",
            "delta-lnd-tls",
            "delta-wallet",
            "delta-lnd-config");
    String conf = secretValue(ns, "delta-lnd-config", SecretBuilders.LND_CONF_KEY);
    assertThat(conf)
        .contains(
            "db.etcd.host=shared-etcd.infra.svc:2379",
            "db.etcd.namespace=lnd-delta",
            "db.etcd.user=lnd-delta",
            "db.etcd.cert_file=/var/run/lightning/etcd-client/tls.crt",
            "cluster.etcd-election-prefix=/lightning-operator/" + ns + "/delta/leader")
        .doesNotContain("insecure_skip_verify");
    Pod pod = client.pods().inNamespace(ns).withName("delta-0").get();
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getSecret().getSecretName())
        .contains("etcd-tls");
    assertThat(
            client.resource(fresh(ns, "delta")).get().getStatus().conditions.stream()
                .filter(c -> c.getType().equals("EtcdAvailable"))
                .findFirst()
                .orElseThrow()
                .getStatus())
        .isEqualTo("Unknown");
    assertThat(
            client.resource(fresh(ns, "delta")).get().getStatus().conditions.stream()
                .filter(c -> c.getType().equals("Degraded"))
                .findFirst()
                .orElseThrow()
                .getMessage())
        .as("a CA that is not PEM is reported, not thrown")
        .contains("invalid TLS material for etcd", "etcd-tls");

    // The user's Secrets are labelled once so that the referenced-Secret informer sees them.
    assertThat(
            client.secrets().inNamespace(ns).withName("etcd-tls").get().getMetadata().getLabels())
        .containsEntry(ClusterReads.REFERENCED, "true");
    awaitCaught(caches);
    counter.clear();
    reconciliation.reconcile(fresh(ns, "delta"));
    assertThat(counter.writes).as("writes of the second pass").isEmpty();
    assertThat(counter.reads).as("API reads of the second pass").isEmpty();
    caches.close();
  }

  @Test
  void noSecretValueAppearsInPodSpecsStatusOrEvents() {
    String ns = ApiServerSupport.newNamespace("hygiene");
    String walletPassword = "wallet-pw-7f3a9c-not-for-eyes";
    String rpcPassword = "rpc-pw-91c2e4-not-for-eyes";
    client
        .resource(
            LightningClusterReconcilerIT.secret(ns, "wallet", Map.of("password", walletPassword)))
        .create();
    client
        .resource(
            LightningClusterReconcilerIT.secret(
                ns, "bitcoind-rpc", Map.of("rpcuser", "lnd", "rpcpass", rpcPassword)))
        .create();
    LightningCluster lc = Clusters.managed(ns, "eps");
    lc.getSpec().network = dev.operator.lightning.api.Network.signet;
    Clusters.withBitcoind(lc, "bitcoind-rpc");
    lc.getSpec().wallet = new WalletSpec();
    lc.getSpec().wallet.passwordSecretRef = new SecretKeyRef("wallet", null);
    client.resource(lc).create();
    Reconciliations.direct(client).reconcile(fresh(ns, "eps"));

    List<String> secretValues = new ArrayList<>(List.of(walletPassword, rpcPassword));
    for (var s : client.secrets().inNamespace(ns).list().getItems()) {
      if (s.getMetadata().getName().startsWith("eps-")) {
        s.getData().values().forEach(v -> secretValues.add(decode(v)));
      }
    }
    List<Pod> pods = client.pods().inNamespace(ns).list().getItems();
    assertThat(pods).hasSize(3);
    List<String> visible = new ArrayList<>();
    for (Pod p : pods) {
      for (Container c : p.getSpec().getContainers()) {
        visible.addAll(c.getArgs());
        visible.addAll(c.getCommand());
        c.getEnv().stream().map(EnvVar::getValue).filter(v -> v != null).forEach(visible::add);
      }
      visible.add(Serialization.asJson(p.getMetadata().getAnnotations()));
    }
    visible.add(Serialization.asJson(client.resource(fresh(ns, "eps")).get().getStatus()));
    client
        .v1()
        .events()
        .inNamespace(ns)
        .list()
        .getItems()
        .forEach(e -> visible.add(e.getMessage()));
    String all = String.join("\n", visible);
    for (String secret : secretValues) {
      assertThat(all)
          .as("a secret value is visible outside Secrets")
          .doesNotContain(secret.strip());
    }
    assertThat(secretValue(ns, "eps-lnd-config", SecretBuilders.LND_CONF_KEY))
        .contains("bitcoind.rpcpass=" + rpcPassword, "wallet-unlock-password-file=");
  }

  @Test
  void aNameClashWithAnotherClustersObjectIsReportedAndThatObjectLeftAlone() {
    String ns = ApiServerSupport.newNamespace("clash");
    ClusterReconciliation reconciliation = Reconciliations.direct(client);
    client.resource(Clusters.managed(ns, "zeta")).create();
    reconciliation.reconcile(fresh(ns, "zeta"));
    var peers = client.services().inNamespace(ns).withName("zeta-etcd").get();

    // Cluster "zeta-etcd" wants its leader Service named "zeta-etcd": zeta's etcd peer Service.
    client.resource(Clusters.managed(ns, "zeta-etcd")).create();
    reconciliation.reconcile(fresh(ns, "zeta-etcd"));

    var after = client.services().inNamespace(ns).withName("zeta-etcd").get();
    assertThat(after.getMetadata().getResourceVersion())
        .as("the other cluster's Service was not written")
        .isEqualTo(peers.getMetadata().getResourceVersion());
    assertThat(after.getMetadata().getOwnerReferences())
        .extracting(r -> r.getName())
        .containsExactly("zeta");
    var status = fresh(ns, "zeta-etcd").getStatus();
    var degraded =
        status.conditions.stream()
            .filter(c -> c.getType().equals("Degraded"))
            .findFirst()
            .orElseThrow();
    assertThat(degraded.getStatus()).isEqualTo("True");
    assertThat(degraded.getReason()).isEqualTo("ObjectConflict");
    assertThat(degraded.getMessage()).contains("Service " + ns + "/zeta-etcd", "not owned");
    reconciliation.reconcile(fresh(ns, "zeta"));
    assertThat(
            fresh(ns, "zeta").getStatus().conditions.stream()
                .filter(c -> c.getType().equals("Degraded"))
                .findFirst()
                .orElseThrow()
                .getStatus())
        .as("the first cluster is unaffected")
        .isEqualTo("False");
  }

  private LightningCluster fresh(String ns, String name) {
    return client.resources(LightningCluster.class).inNamespace(ns).withName(name).get();
  }

  private String secretValue(String ns, String name, String key) {
    return decode(client.secrets().inNamespace(ns).withName(name).get().getData().get(key));
  }

  private static String decode(String b64) {
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }
}
