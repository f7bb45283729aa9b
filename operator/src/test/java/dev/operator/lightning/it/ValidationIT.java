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
            "spec.election.leaderSessionTtlSeconds",
            "must be at least 24",
            "before its session can expire"),
        bad(
            "TTL one below the health-check minimum",
            s -> s.put("election", Map.of("leaderSessionTtlSeconds", 23)),
            "must be at least 24"),
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
            "btcd backend without btcd",
            s -> s.put("chain", Map.of("backend", "btcd")),
            "chain.btcd is required when chain.backend is btcd"),
        bad(
            "btcd settings beside neutrino",
            s -> s.put("chain", Map.of("backend", "neutrino", "btcd", btcd())),
            "chain.btcd may only be set when chain.backend is btcd"),
        bad(
            "btcd without its certificate",
            s ->
                s.put(
                    "chain",
                    Map.of(
                        "backend",
                        "btcd",
                        "btcd",
                        Map.of(
                            "rpcHost",
                            "btcd:18334",
                            "rpcCredentialsSecretRef",
                            Map.of("name", "rpc")))),
            "spec.chain.btcd.rpcCertSecretRef",
            "Required value"),
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
            "spec.lnd.extraArgs",
            "options the operator owns"),
        bad(
            "extraArgs moving the data directory with a short option",
            s -> s.put("lnd", Map.of("extraArgs", List.of("-b/tmp/elsewhere"))),
            "spec.lnd.extraArgs",
            "options the operator owns"),
        bad(
            "extraArgs replacing the config file",
            s -> s.put("lnd", Map.of("extraArgs", List.of("--configfile=/tmp/lnd.conf"))),
            "options the operator owns"),
        bad(
            "extraArgs lengthening the leader health check",
            s -> s.put("lnd", Map.of("extraArgs", List.of("--healthcheck.leader.interval=1h"))),
            "options the operator owns"),
        bad(
            "config moving the database to bbolt",
            s -> s.put("lnd", Map.of("config", "alias=x\ndb.backend=bolt\n")),
            "spec.lnd.config",
            "options the operator owns"),
        bad(
            "config with a line without a key (it sets the first option of its section)",
            s -> s.put("lnd", Map.of("config", "[db]\n=bolt")),
            "spec.lnd.config",
            "nor hold a line without a key"),
        bad(
            "config hiding an owned key behind a no-break space",
            s -> s.put("lnd", Map.of("config", "\u00a0db.backend=bolt")),
            "spec.lnd.config",
            "options the operator owns"),
        bad(
            "config switching off the seed backup",
            s -> s.put("lnd", Map.of("config", "  noseedbackup = true")),
            "options the operator owns"),
        bad(
            "config choosing another network",
            s -> s.put("lnd", Map.of("config", "bitcoin.mainnet=true")),
            "options the operator owns"),
        bad(
            "config too long",
            s -> s.put("lnd", Map.of("config", "alias=x\n".repeat(10_000))),
            "spec.lnd.config",
            "Too long"),
        bad(
            "name too long for the derived names",
            s -> {},
            "metadata.name must be at most 47 characters",
            "controller-revision-hash"),
        bad(
            "name starting with a digit",
            s -> {},
            "must start with a lower-case letter",
            "DNS-1035"),
        bad(
            "LND memory limit that is no quantity",
            s -> s.put("resources", Map.of("limits", Map.of("memory", "lots"))),
            "spec.resources",
            "must be Kubernetes quantities"),
        bad(
            "LND cpu request that is no quantity",
            s -> s.put("resources", Map.of("requests", Map.of("cpu", "1 core"))),
            "spec.resources",
            "must be Kubernetes quantities"),
        bad(
            "etcd memory request that is no quantity",
            s ->
                etcd(s)
                    .put(
                        "managed",
                        Map.of("resources", Map.of("requests", Map.of("memory", "2GB!")))),
            "spec.etcd.managed.resources",
            "must be Kubernetes quantities"),
        bad(
            "etcd volume size that is no quantity",
            s -> etcd(s).put("managed", Map.of("storage", Map.of("size", "ten gigs"))),
            "spec.etcd.managed.storage.size",
            "should match"),
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
            "postgres backend without its section",
            s -> s.put("database", Map.of("backend", "postgres")),
            "database.postgres is required when database.backend is postgres"),
        bad(
            "postgres section on the etcd backend",
            s -> s.put("database", Map.of("postgres", postgres())),
            "database.postgres is only read with database.backend postgres"),
        bad(
            "postgres without its DSN Secret",
            s -> s.put("database", Map.of("backend", "postgres", "postgres", Map.of())),
            "spec.database.postgres.dsnSecretRef",
            "Required value"),
        bad(
            "postgres with no connections",
            s ->
                s.put(
                    "database",
                    Map.of(
                        "backend",
                        "postgres",
                        "postgres",
                        Map.of("dsnSecretRef", Map.of("name", "pg-app"), "maxConnections", 0))),
            "spec.database.postgres.maxConnections",
            "greater than or equal to 1"),
        bad(
            "postgres with a negative timeout",
            s ->
                s.put(
                    "database",
                    Map.of(
                        "backend",
                        "postgres",
                        "postgres",
                        Map.of("dsnSecretRef", Map.of("name", "pg-app"), "timeoutSeconds", -1))),
            "spec.database.postgres.timeoutSeconds",
            "greater than or equal to 0"),
        bad(
            "postgres with a timeout over an hour",
            s ->
                s.put(
                    "database",
                    Map.of(
                        "backend",
                        "postgres",
                        "postgres",
                        Map.of("dsnSecretRef", Map.of("name", "pg-app"), "timeoutSeconds", 3601))),
            "spec.database.postgres.timeoutSeconds",
            "less than or equal to 3600"),
        bad(
            "unknown database backend",
            s -> s.put("database", Map.of("backend", "bolt")),
            "spec.database.backend",
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
    GenericKubernetesResource r = valid(nameFor(caseName));
    mutation.accept(spec(r));
    KubernetesClientException e =
        catchThrowableOfType(KubernetesClientException.class, () -> client.resource(r).create());
    assertThat(e).as("%s must be rejected", caseName).isNotNull();
    assertThat(e.getCode()).isEqualTo(422);
    assertThat(e.getStatus().getMessage()).contains(expected);
  }

  /** The resource name of a case: short and valid, except for the cases about the name. */
  private static String nameFor(String caseName) {
    if (caseName.startsWith("name too long")) {
      return "n".repeat(48);
    }
    if (caseName.startsWith("name starting with a digit")) {
      return "1" + "abc";
    }
    String name = "bad-" + caseName.replaceAll("[^a-z0-9]+", "-");
    return name.substring(0, Math.min(name.length(), 47)).replaceAll("-$", "");
  }

  @Test
  void theValidBaseIsAccepted() {
    assertThat(client.resource(valid("good")).create().getMetadata().getUid()).isNotEmpty();
  }

  private static Map<String, Object> btcd() {
    return Map.of(
        "rpcHost",
        "btcd.chain.svc",
        "rpcCredentialsSecretRef",
        Map.of("name", "btcd-rpc"),
        "rpcCertSecretRef",
        Map.of("name", "btcd-rpc", "key", "rpc.cert"));
  }

  /** CloudNativePG's Secrets as they are: <cluster>-app (key uri) and <cluster>-ca (ca.crt). */
  private static Map<String, Object> postgres() {
    return Map.of(
        "dsnSecretRef", Map.of("name", "lnd-db-app"), "caSecretRef", Map.of("name", "lnd-db-ca"));
  }

  static Stream<Arguments> goodResources() {
    return Stream.of(
        good("n".repeat(47), s -> {}),
        good("ttl-minimum", s -> s.put("election", Map.of("leaderSessionTtlSeconds", 24))),
        good(
            "user-lnd-settings",
            s ->
                s.put(
                    "lnd",
                    Map.of(
                        "config",
                        "alias=my-node\ncolor=#3399FF\n[protocol]\nprotocol.wumbo-channels=true\n"
                            + "bitcoin.basefee=1000\nhealthcheck.chainbackend.interval=2m",
                        "extraArgs",
                        List.of("--debuglevel=info", "-d", "info", "--bitcoin.feerate=1")))),
        good("btcd", s -> s.put("chain", Map.of("backend", "btcd", "btcd", btcd()))),
        good(
            "postgres-cnpg-secret",
            s -> s.put("database", Map.of("backend", "postgres", "postgres", postgres()))),
        good(
            "quantities",
            s ->
                s.put(
                    "resources",
                    Map.of(
                        "requests",
                        Map.of("cpu", "500m", "memory", "512Mi"),
                        "limits",
                        Map.of("cpu", 2, "memory", "2Gi")))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goodResources")
  void acceptedAtApplyTime(String name, Consumer<Map<String, Object>> mutation) {
    GenericKubernetesResource r = valid(name);
    mutation.accept(spec(r));
    assertThat(client.resource(r).create().getMetadata().getUid()).isNotEmpty();
  }

  private static Arguments good(String name, Consumer<Map<String, Object>> mutation) {
    return Arguments.of(name, mutation);
  }

  static Stream<Arguments> immutableChanges() {
    Consumer<Map<String, Object>> managed = s -> {};
    Consumer<Map<String, Object>> external =
        s -> s.put("etcd", Map.of("external", Map.of("endpoint", "etcd:2379")));
    return Stream.of(
        immutable("network", managed, s -> s.put("network", "simnet"), "network is immutable"),
        immutable(
            "etcd mode",
            managed,
            s -> s.put("etcd", Map.of("external", Map.of("endpoint", "etcd:2379"))),
            "etcd mode is immutable"),
        immutable(
            "election prefix set after creation",
            managed,
            s -> s.put("election", Map.of("keyPrefix", "/other")),
            "election.keyPrefix is immutable"),
        immutable(
            "etcd member count",
            managed,
            s -> s.put("etcd", Map.of("managed", Map.of("replicas", 5))),
            "etcd.managed.replicas is immutable"),
        // Another etcd, or another key namespace on it, holds other (or no) wallet and channels.
        immutable(
            "external etcd endpoint",
            external,
            s -> externalEtcd(s).put("endpoint", "other-etcd.infra.svc:2379"),
            "etcd.external.endpoint is immutable"),
        immutable(
            "database backend",
            managed,
            s -> s.put("database", Map.of("backend", "postgres", "postgres", postgres())),
            "database.backend is immutable"),
        immutable(
            "database backend back to etcd",
            s -> s.put("database", Map.of("backend", "postgres", "postgres", postgres())),
            s -> s.remove("database"),
            "database.backend is immutable"),
        // lnd migrated its data to native SQL tables and does not read them back.
        immutable(
            "native SQL turned off",
            s ->
                s.put(
                    "database",
                    Map.of(
                        "backend",
                        "postgres",
                        "postgres",
                        Map.of("dsnSecretRef", Map.of("name", "pg-app"), "nativeSql", true))),
            s -> database(s).put("postgres", Map.of("dsnSecretRef", Map.of("name", "pg-app"))),
            "nativeSql cannot be turned off"),
        immutable(
            "external etcd namespace",
            external,
            s -> externalEtcd(s).put("namespace", "elsewhere/"),
            "etcd.external.namespace is immutable"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("immutableChanges")
  void immutableFieldsCannotChange(
      String field,
      Consumer<Map<String, Object>> base,
      Consumer<Map<String, Object>> mutation,
      String expected) {
    String name = "immutable-" + field.replaceAll("[^a-z]+", "-");
    GenericKubernetesResource created = valid(name);
    base.accept(spec(created));
    client.resource(created).create();
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

  private static Arguments immutable(
      String field,
      Consumer<Map<String, Object>> base,
      Consumer<Map<String, Object>> change,
      String expected) {
    return Arguments.of(field, base, change, expected);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> database(Map<String, Object> spec) {
    return (Map<String, Object>) spec.get("database");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> externalEtcd(Map<String, Object> spec) {
    return (Map<String, Object>) etcd(spec).get("external");
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
