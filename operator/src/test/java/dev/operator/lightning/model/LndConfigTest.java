package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.ElectionSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LndSpec;
import dev.operator.lightning.api.Network;
import dev.operator.lightning.it.Clusters;
import org.junit.jupiter.api.Test;

class LndConfigTest {
  @Test
  void managedEtcdClusterGetsTheClusteringOptionsLndReads() {
    LightningCluster lc = Clusters.managed("ns1", "c1");
    String conf = LndConfig.render(EffectiveSpec.of(lc), LndConfig.Credentials.NONE);
    assertThat(conf)
        .contains(
            "[db]\ndb.backend=etcd\n",
            "db.etcd.host=c1-etcd-client.ns1.svc:2379",
            // LND's ini names are cert_file/key_file (kvdb/etcd/config.go), not certfile/keyfile.
            "db.etcd.cert_file=/var/run/lightning/etcd-client/tls.crt",
            "db.etcd.key_file=/var/run/lightning/etcd-client/tls.key",
            "cluster.enable-leader-election=true",
            "cluster.leader-elector=etcd",
            "cluster.etcd-election-prefix=/lightning-operator/ns1/c1/leader",
            "cluster.leader-session-ttl=30",
            "wallet-unlock-password-file=/var/run/lightning/wallet/password",
            "wallet-unlock-allow-create=true",
            "bitcoin.regtest=true",
            "bitcoin.node=nochainbackend",
            "restlisten=0.0.0.0:8080",
            "datadir=/var/lib/lnd/data",
            "tlscertpath=/var/run/lightning/lnd-tls/tls.crt")
        .doesNotContain("insecure_skip_verify", "disabletls", "db.etcd.namespace", "cluster.id");
  }

  @Test
  void bitcoindCredentialsAndUserSettingsAreRendered() {
    LightningCluster lc = Clusters.managed("ns1", "c1");
    lc.getSpec().network = Network.mainnet;
    Clusters.withBitcoind(lc, "rpc");
    lc.getSpec().election = new ElectionSpec();
    lc.getSpec().election.keyPrefix = "/custom";
    lc.getSpec().election.leaderSessionTtlSeconds = 90;
    lc.getSpec().lnd = new LndSpec();
    lc.getSpec().lnd.config = "alias=my-node\n";
    String conf =
        LndConfig.render(
            EffectiveSpec.of(lc), new LndConfig.Credentials("u", "p", null, null, null, false));
    assertThat(conf)
        .contains(
            "bitcoin.mainnet=true",
            "bitcoind.rpchost=bitcoind.chain.svc:8332",
            "bitcoind.rpcuser=u",
            "bitcoind.rpcpass=p",
            "bitcoind.zmqpubrawtx=tcp://bitcoind.chain.svc:28333",
            "cluster.etcd-election-prefix=/custom",
            "cluster.leader-session-ttl=90")
        .endsWith("[Application Options]\nalias=my-node\n");
  }

  @Test
  void btcdConnectionCarriesItsCertificateInsideLndConf() {
    LightningCluster lc = Clusters.withBtcd(Clusters.managed("ns1", "c1"), "rpc", "btcd-cert");
    String pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    String conf =
        LndConfig.render(
            EffectiveSpec.of(lc), new LndConfig.Credentials("u", "p", pem, null, null, false));
    assertThat(conf)
        .contains(
            "[Bitcoin]\nbitcoin.regtest=true\nbitcoin.node=btcd\n",
            "[Btcd]\nbtcd.rpchost=btcd.chain.svc:18334\nbtcd.rpcuser=u\nbtcd.rpcpass=p\n",
            // lnd hex-decodes rawrpccert into the PEM bytes it trusts.
            "btcd.rawrpccert="
                + java.util.HexFormat.of()
                    .formatHex(pem.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + "\n")
        .doesNotContain("btcd.rpccert=", "bitcoind.");
  }

  @Test
  void postgresHoldsTheDataAndEtcdKeepsTheElection() {
    LightningCluster lc = Clusters.withPostgres(Clusters.managed("ns1", "c1"), "pg-app", null);
    lc.getSpec().database.postgres.maxConnections = 20;
    lc.getSpec().database.postgres.timeoutSeconds = 15;
    String dsn = "postgresql://app:s3cret@pg-rw.db.svc:5432/app?sslmode=verify-full";
    String conf =
        LndConfig.render(
            EffectiveSpec.of(lc),
            new LndConfig.Credentials(null, null, null, null, null, false, dsn));
    assertThat(conf)
        .contains(
            "[db]\ndb.backend=postgres\n",
            "[postgres]\ndb.postgres.dsn=" + dsn + "\n",
            "db.postgres.maxconnections=20\n",
            "db.postgres.timeout=15s\n",
            // The elector still campaigns on etcd, with the same TLS and prefix.
            "db.etcd.host=c1-etcd-client.ns1.svc:2379",
            "db.etcd.cert_file=/var/run/lightning/etcd-client/tls.crt",
            "cluster.leader-elector=etcd",
            "cluster.etcd-election-prefix=/lightning-operator/ns1/c1/leader",
            "healthcheck.leader.interval=")
        .doesNotContain("db.backend=etcd", "db.use-native-sql");
  }

  @Test
  void postgresDefaultsAndNativeSql() {
    LightningCluster lc = Clusters.withPostgres(Clusters.managed("ns1", "c1"), "pg-app", "pg-ca");
    lc.getSpec().database.postgres.nativeSql = true;
    lc.getSpec().database.postgres.maxConnections = null;
    String conf =
        LndConfig.render(
            EffectiveSpec.of(lc),
            new LndConfig.Credentials(
                null, null, null, null, null, false, "host=pg user=app dbname=app"));
    assertThat(conf)
        .contains(
            "[db]\ndb.backend=postgres\ndb.use-native-sql=true\n",
            "db.postgres.maxconnections=50\n")
        .doesNotContain("db.postgres.timeout");
  }

  @Test
  void etcdOnlyHoldingTheElectionGetsASmallerQuotaAndVolumeByDefault() {
    EffectiveSpec etcd = EffectiveSpec.of(Clusters.managed("ns1", "c1"));
    EffectiveSpec pg =
        EffectiveSpec.of(Clusters.withPostgres(Clusters.managed("ns1", "c1"), "pg", null));
    assertThat(etcd.managedEtcd().backendQuotaGiB()).isEqualTo(4);
    assertThat(etcd.managedEtcd().storageSize()).isEqualTo("10Gi");
    assertThat(pg.managedEtcd().backendQuotaGiB()).isEqualTo(1);
    assertThat(pg.managedEtcd().storageSize()).isEqualTo("2Gi");
    LightningCluster set = Clusters.withPostgres(Clusters.managed("ns1", "c1"), "pg", null);
    set.getSpec().etcd.managed.backendQuotaGiB = 3;
    assertThat(EffectiveSpec.of(set).managedEtcd().backendQuotaGiB()).isEqualTo(3);
  }

  @Test
  void externalEtcdWithoutTlsDisablesItAndUsesTheNamespace() {
    LightningCluster lc = Clusters.external("ns1", "c2", null);
    String conf =
        LndConfig.render(
            EffectiveSpec.of(lc), new LndConfig.Credentials(null, null, null, "lnd", "pw", false));
    assertThat(conf)
        .contains(
            "db.etcd.host=shared-etcd.infra.svc:2379",
            "db.etcd.disabletls=true",
            "db.etcd.namespace=lnd-c2",
            "db.etcd.user=lnd",
            "db.etcd.pass=pw")
        .doesNotContain("cert_file");
  }
}
