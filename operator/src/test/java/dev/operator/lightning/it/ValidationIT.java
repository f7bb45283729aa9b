package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad resources the real API server must reject at apply time, each with a clear message. */
class ValidationIT {
  private static final String VALID =
      """
      apiVersion: lightning.operator.dev/v1alpha1
      kind: LightningCluster
      metadata:
        name: NAME
      spec:
        network: regtest
        chain:
          backend: nochainbackend
        etcd:
          managed: {}
      """;

  private static KubernetesClient client;
  private static String ns;

  @BeforeAll
  static void namespace() {
    client = ApiServerSupport.client();
    ns = ApiServerSupport.newNamespace("validation");
  }

  static Stream<Arguments> badResources() {
    return Stream.of(
        bad("replicas 0", s -> s.put("replicas", 0), "spec.replicas", "greater than or equal to 1"),
        bad("replicas 10", s -> s.put("replicas", 10), "spec.replicas", "less than or equal to 9"),
        bad(
            "even etcd members",
            s -> etcd(s).put("managed", Map.of("replicas", 2)),
            "must be 1, 3 or 5"),
        bad(
            "managed and external etcd",
            s -> etcd(s).put("external", Map.of("endpoint", "etcd:2379")),
            "set exactly one of etcd.managed or etcd.external"),
        bad(
            "neither managed nor external etcd",
            s -> etcd(s).remove("managed"),
            "set exactly one of etcd.managed or etcd.external"),
        bad("no etcd at all", s -> s.remove("etcd"), "spec.etcd", "Required value"),
        bad(
            "TTL too short",
            s -> s.put("election", Map.of("leaderSessionTtlSeconds", 2)),
            "leaderSessionTtlSeconds",
            "greater than or equal to 5"),
        bad(
            "TTL too long",
            s -> s.put("election", Map.of("leaderSessionTtlSeconds", 601)),
            "leaderSessionTtlSeconds",
            "less than or equal to 600"),
        bad(
            "unknown network",
            s -> s.put("network", "bitcoincash"),
            "Unsupported value",
            "regtest"),
        bad("no network", s -> s.remove("network"), "spec.network", "Required value"),
        bad("empty image", s -> s.put("image", ""), "spec.image", "at least 1 chars long"),
        bad(
            "bitcoind backend without bitcoind",
            s -> s.put("chain", Map.of("backend", "bitcoind")),
            "chain.bitcoind is required when chain.backend is bitcoind"),
        bad(
            "neutrino settings beside bitcoind",
            s ->
                s.put(
                    "chain",
                    Map.of(
                        "backend",
                        "nochainbackend",
                        "neutrino",
                        Map.of("connect", List.of("peer:18444")))),
            "chain.neutrino may only be set when chain.backend is neutrino"),
        bad(
            "no chain backend on mainnet",
            s -> s.put("network", "mainnet"),
            "nochainbackend is for tests and only allowed on regtest or simnet"),
        bad(
            "extraArgs overriding the database",
            s ->
                s.put(
                    "lnd", Map.of("extraArgs", List.of("--debuglevel=info", "--db.backend=bolt"))),
            "must not set --db.*, --cluster.* or --wallet-unlock*"),
        bad(
            "relative election prefix",
            s -> s.put("election", Map.of("keyPrefix", "leader")),
            "spec.election.keyPrefix",
            "should match"),
        bad(
            "external endpoint with a scheme",
            s -> s.put("etcd", Map.of("external", Map.of("endpoint", "https://etcd:2379"))),
            "spec.etcd.external.endpoint",
            "should match"),
        bad(
            "etcd quota above 8 GiB",
            s -> etcd(s).put("managed", Map.of("backendQuotaGiB", 9)),
            "backendQuotaGiB",
            "less than or equal to 8"),
        bad(
            "unknown service type",
            s -> s.put("service", Map.of("type", "ExternalName")),
            "spec.service.type",
            "Unsupported value"),
        bad(
            "wallet Secret without a name",
            s -> s.put("wallet", Map.of("passwordSecretRef", Map.of("key", "pw"))),
            "spec.wallet.passwordSecretRef.name",
            "Required value"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badResources")
  void rejectedAtApplyTimeWithAClearMessage(
      String caseName, Consumer<Map<String, Object>> mutation, List<String> expected) {
    GenericKubernetesResource r = valid("bad-" + caseName.replaceAll("[^a-z0-9]+", "-"));
    mutation.accept(spec(r));
    KubernetesClientException e =
        catchThrowableOfType(KubernetesClientException.class, () -> client.resource(r).create());
    assertThat(e).as("%s must be rejected", caseName).isNotNull();
    assertThat(e.getCode()).isEqualTo(422);
    assertThat(e.getStatus().getMessage()).contains(expected);
  }

  @Test
  void theValidBaseIsAccepted() {
    assertThat(client.resource(valid("good")).create().getMetadata().getUid()).isNotEmpty();
  }

  static Stream<Arguments> immutableChanges() {
    return Stream.of(
        Arguments.of(
            "network",
            (Consumer<Map<String, Object>>) s -> s.put("network", "simnet"),
            "network is immutable"),
        Arguments.of(
            "etcd mode",
            (Consumer<Map<String, Object>>)
                s -> s.put("etcd", Map.of("external", Map.of("endpoint", "etcd:2379"))),
            "etcd mode is immutable"),
        Arguments.of(
            "election prefix set after creation",
            (Consumer<Map<String, Object>>) s -> s.put("election", Map.of("keyPrefix", "/other")),
            "election.keyPrefix is immutable"),
        Arguments.of(
            "etcd member count",
            (Consumer<Map<String, Object>>)
                s -> s.put("etcd", Map.of("managed", Map.of("replicas", 5))),
            "etcd.managed.replicas is immutable"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("immutableChanges")
  void immutableFieldsCannotChange(
      String field, Consumer<Map<String, Object>> mutation, String expected) {
    String name = "immutable-" + field.replaceAll("[^a-z]+", "-");
    client.resource(valid(name)).create();
    GenericKubernetesResource live =
        client
            .genericKubernetesResources("lightning.operator.dev/v1alpha1", "LightningCluster")
            .inNamespace(ns)
            .withName(name)
            .get();
    mutation.accept(spec(live));
    KubernetesClientException e =
        catchThrowableOfType(KubernetesClientException.class, () -> client.resource(live).update());
    assertThat(e).as("changing %s must be rejected", field).isNotNull();
    assertThat(e.getStatus().getMessage()).contains(expected);
  }

  private static Arguments bad(
      String name, Consumer<Map<String, Object>> mutation, String... expected) {
    return Arguments.of(name, mutation, List.of(expected));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource r) {
    return (Map<String, Object>) r.getAdditionalProperties().get("spec");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> etcd(Map<String, Object> spec) {
    return (Map<String, Object>) spec.get("etcd");
  }

  private static GenericKubernetesResource valid(String name) {
    GenericKubernetesResource r =
        Serialization.unmarshal(VALID.replace("NAME", name), GenericKubernetesResource.class);
    r.getMetadata().setNamespace(ns);
    return r;
  }
}
