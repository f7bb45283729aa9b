package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.election.EtcdClients;
import dev.operator.lightning.election.EtcdTarget;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The layout LND recommends for production, with the real lnd and a real PostgreSQL on the local
 * cluster: the first leader creates the wallet in PostgreSQL, the cluster's etcd holds only the
 * election, and a hard kill and a graceful deletion of the leader keep the node's identity. Beside
 * it, clusters whose database the operator cannot use are Degraded with a reason that says why, get
 * no member, and leave the healthy cluster alone.
 */
class PostgresIT {
  private static final String NS = "postgres";
  private static final String NAME = DemoCluster.NAME;
  private static final Duration DEADLINE = Duration.ofSeconds(90);

  @Test
  void theDataLivesInPostgresTheElectionInEtcdAndTheIdentitySurvivesFailovers() throws Exception {
    try (SecretScan scan = new SecretScan();
        DemoCluster demo = DemoCluster.start(NS)) {
      KubernetesClient client = demo.client();
      PostgresServer pg = PostgresServer.deploy(demo.cluster, NS);
      String dsnSecret = pg.createDatabase(NAME);
      LightningCluster lc = Clusters.withPostgres(demo.demo(), dsnSecret, PostgresServer.CA_SECRET);
      lc.getSpec().etcd.managed.replicas = 1;
      Instant applied = Instant.now();
      demo.apply(lc);
      String first = demo.awaitLeader(null, DEADLINE);
      System.out.printf(
          "postgres: apply -> leader %s active, routed, wallet created in %d ms%n",
          first, Duration.between(applied, Instant.now()).toMillis());
      String identity = Lncli.identityThroughLeaderService(demo.cluster, NS, NAME);
      assertThat(identity).hasSize(66);

      // LND made its tables in the database; the cluster's etcd has the election and nothing else.
      List<String> tables = pg.tables(NAME);
      System.out.println("postgres: LND's tables " + tables);
      assertThat(tables).as("LND's tables in PostgreSQL").isNotEmpty();
      assertThat(tables).anySatisfy(t -> assertThat(t).contains("channeldb"));
      assertThat(tables).anySatisfy(t -> assertThat(t).contains("walletdb"));
      String prefix = demo.status().electionPrefix;
      List<String> keys = etcdKeys(client);
      System.out.println("postgres: keys in etcd " + keys);
      assertThat(keys)
          .as("etcd keys of a cluster whose data is in PostgreSQL")
          .isNotEmpty()
          .allSatisfy(k -> assertThat(k).startsWith(prefix));

      LightningClusterStatus status = demo.status();
      assertThat(status.database.backend).isEqualTo("postgres");
      assertThat(status.database.endpoint).isEqualTo(pg.host() + ":5432/" + NAME);
      assertThat(status.database.sslMode).isEqualTo("verify-full");
      assertThat(status.database.nativeSql).isFalse();

      Instant killed = Instant.now();
      demo.cluster.nodes().killContainer(first);
      String second = demo.awaitLeader(first, DEADLINE);
      System.out.printf(
          "postgres: kill -9 of %s -> %s active and routed in %d ms%n",
          first, second, Duration.between(killed, Instant.now()).toMillis());
      assertThat(Lncli.identityThroughLeaderService(demo.cluster, NS, NAME))
          .as("identity after a hard kill")
          .isEqualTo(identity);

      Instant deleted = Instant.now();
      client.pods().inNamespace(NS).withName(second).delete();
      String third = demo.awaitLeader(second, DEADLINE);
      System.out.printf(
          "postgres: graceful deletion of %s -> %s active and routed in %d ms%n",
          second, third, Duration.between(deleted, Instant.now()).toMillis());
      assertThat(Lncli.identityThroughLeaderService(demo.cluster, NS, NAME))
          .as("identity after a graceful deletion")
          .isEqualTo(identity);

      databasesTheOperatorCannotUse(demo, pg, third);

      assertThat(demo.failedReconciliations()).as("reconciliations that threw").isZero();
      assertThat(scan.logged("WalletCreated")).as("the scan saw the run's log").isTrue();
      // The connection strings (their passwords) are secrets like any other.
      scan.assertNoSecretIn(client, NS);
    }
  }

  /**
   * A missing DSN Secret, one without its key, a wrong password, a server that does not answer, the
   * healthy cluster's own database and a CA that did not sign the server's certificate: each is
   * Degraded with its reason, never gets a member (LND would exit at start), and the healthy
   * cluster keeps its leader.
   */
  private void databasesTheOperatorCannotUse(DemoCluster demo, PostgresServer pg, String leader) {
    KubernetesClient client = demo.client();
    Secret good = client.secrets().inNamespace(NS).withName(NAME + "-app").get();
    String uri =
        new String(Base64.getDecoder().decode(good.getData().get("uri")), StandardCharsets.UTF_8);
    // Each on a database of its own: one on demo's database would be refused for sharing it.
    String wrongPassword =
        uri.replaceFirst("(:[0-9]+)/[^?]+", "$1/elsewhere")
            .replaceFirst(":[^:@/]+@", ":not-the-password@");
    String otherDatabase = uri.replaceFirst("(:[0-9]+)/[^?]+", "$1/elsewhere-too");
    String unreachable = uri.replace(pg.host(), "postgres-gone." + NS + ".svc");
    secret(client, "wrong-password", "uri", wrongPassword);
    secret(client, "unreachable", "uri", unreachable);
    secret(client, "other-database", "uri", otherDatabase);
    // CloudNativePG's key is uri; a DSN under another key is not read.
    secret(client, "dsn-under-url", "url", otherDatabase);
    secret(
        client,
        "other-ca",
        "ca.crt",
        dev.operator.lightning.pki.CertificateAuthority.generate("x").certificatePem());
    record Case(String name, String dsnSecret, String caSecret, String reason, String says) {}
    List<Case> cases =
        List.of(
            new Case(
                "no-dsn",
                "no-such-secret",
                PostgresServer.CA_SECRET,
                "SecretNotFound",
                "spec.database.postgres.dsnSecretRef"),
            new Case(
                "dsn-key",
                "dsn-under-url",
                PostgresServer.CA_SECRET,
                "SecretKeyMissing",
                "has no non-empty key(s) uri"),
            new Case(
                "bad-password",
                "wrong-password",
                PostgresServer.CA_SECRET,
                "DatabaseCredentialsRejected",
                "refused user"),
            new Case(
                "no-server",
                "unreachable",
                PostgresServer.CA_SECRET,
                "DatabaseUnreachable",
                "is unreachable"),
            new Case(
                "same-database",
                NAME + "-app",
                PostgresServer.CA_SECRET,
                "DataStoreConflict",
                "the database of LightningCluster " + NS + "/" + NAME),
            new Case(
                "wrong-ca",
                "other-database",
                "other-ca",
                "DatabaseCertificateRejected",
                "does not verify"));
    for (Case c : cases) {
      LightningCluster lc = Clusters.withPostgres(demo.demo(), c.dsnSecret(), c.caSecret());
      lc.getMetadata().setName(c.name());
      lc.getSpec().replicas = 1;
      lc.getSpec().etcd.managed.replicas = 1;
      demo.apply(lc);
    }
    for (Case c : cases) {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                LightningClusterStatus s = demo.status(c.name());
                assertThat(s).as("status of %s", c.name()).isNotNull();
                assertThat(s.conditions)
                    .as("%s's conditions", c.name())
                    .anySatisfy(
                        cond -> {
                          assertThat(cond.getType()).isEqualTo("Degraded");
                          assertThat(cond.getStatus()).isEqualTo("True");
                          assertThat(cond.getReason()).isEqualTo(c.reason());
                          assertThat(cond.getMessage()).contains(c.says());
                        });
              });
      System.out.printf(
          "postgres: %s -> Degraded %s: %s%n",
          c.name(),
          c.reason(),
          demo.status(c.name()).conditions.stream()
              .filter(x -> x.getType().equals("Degraded"))
              .findFirst()
              .orElseThrow()
              .getMessage());
      assertThat(
              client
                  .pods()
                  .inNamespace(NS)
                  .withLabel("app.kubernetes.io/instance", c.name())
                  .withLabel("app.kubernetes.io/component", "lnd")
                  .list()
                  .getItems())
          .as("members of %s, whose database the operator cannot use", c.name())
          .isEmpty();
    }
    assertThat(demo.status().leader.pod).as("the healthy cluster's leader").isEqualTo(leader);
    // The member deleted in the last failover may still be starting again.
    await()
        .atMost(java.time.Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(demo.status().phase)
                    .as("the healthy cluster's phase once its members are back")
                    .isEqualTo("Running"));
    assertThat(Lncli.identityThroughLeaderService(demo.cluster, NS, NAME)).hasSize(66);
  }

  private static final EtcdClients ETCD = new EtcdClients();

  /** Every key in the demo cluster's own etcd, read with the operator's client certificate. */
  private static List<String> etcdKeys(KubernetesClient client) throws Exception {
    Secret tls = client.secrets().inNamespace(NS).withName(NAME + "-etcd-client-tls").get();
    EtcdTarget target =
        new EtcdTarget(
            NAME + "-etcd-client." + NS + ".svc:2379",
            decode(tls, "ca.crt"),
            decode(tls, "tls.crt"),
            decode(tls, "tls.key"),
            null,
            null);
    Client etcd = ETCD.acquire(target);
    try {
      ByteSequence all = ByteSequence.from(new byte[] {0});
      return etcd
          .getKVClient()
          .get(all, GetOption.builder().withRange(all).withKeysOnly(true).build())
          .get(10, TimeUnit.SECONDS)
          .getKvs()
          .stream()
          .map(KeyValue::getKey)
          .map(k -> k.toString(StandardCharsets.UTF_8))
          .toList();
    } finally {
      ETCD.release(target);
    }
  }

  private static String decode(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }

  private static void secret(KubernetesClient client, String name, String key, String value) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .endMetadata()
                .addToStringData(key, value)
                .build())
        .create();
  }
}
