package dev.operator.lightning.it;

import dev.operator.lightning.api.BitcoindSpec;
import dev.operator.lightning.api.BtcdSpec;
import dev.operator.lightning.api.ChainBackend;
import dev.operator.lightning.api.ChainSpec;
import dev.operator.lightning.api.EtcdSpec;
import dev.operator.lightning.api.ExternalEtcdSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterSpec;
import dev.operator.lightning.api.ManagedEtcdSpec;
import dev.operator.lightning.api.Network;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.api.SecretRef;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** LightningClusters for tests. */
public final class Clusters {
  private Clusters() {}

  /**
   * Changes a LightningCluster as a user's edit would, again on a conflict: fabric8's edit sends
   * the resourceVersion it read, and the operator's status writes move it on meanwhile.
   */
  public static LightningCluster edit(
      io.fabric8.kubernetes.client.KubernetesClient client,
      String namespace,
      String name,
      java.util.function.UnaryOperator<LightningCluster> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        return client
            .resources(LightningCluster.class)
            .inNamespace(namespace)
            .withName(name)
            .edit(change);
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }

  public static LightningCluster managed(String namespace, String name) {
    LightningClusterSpec spec = new LightningClusterSpec();
    spec.network = Network.regtest;
    spec.chain = new ChainSpec();
    spec.chain.backend = ChainBackend.nochainbackend;
    spec.etcd = new EtcdSpec();
    spec.etcd.managed = new ManagedEtcdSpec();
    return cluster(namespace, name, spec);
  }

  public static LightningCluster external(String namespace, String name, String tlsSecret) {
    LightningClusterSpec spec = new LightningClusterSpec();
    spec.network = Network.regtest;
    spec.chain = new ChainSpec();
    spec.chain.backend = ChainBackend.nochainbackend;
    spec.etcd = new EtcdSpec();
    spec.etcd.external = new ExternalEtcdSpec();
    spec.etcd.external.endpoint = "shared-etcd.infra.svc:2379";
    spec.etcd.external.namespace = "lnd-" + name;
    spec.etcd.external.tlsSecretRef = tlsSecret != null ? new SecretRef(tlsSecret) : null;
    return cluster(namespace, name, spec);
  }

  /** A cluster on a plain-text etcd the test runs (no TLS, no key namespace unless given). */
  public static LightningCluster onEtcd(
      String namespace, String name, String endpoint, String etcdNamespace) {
    LightningCluster c = external(namespace, name, null);
    c.getSpec().etcd.external.endpoint = endpoint;
    c.getSpec().etcd.external.namespace = etcdNamespace;
    return c;
  }

  /** Switches the cluster to a bitcoind backend whose credentials are in the named Secret. */
  public static LightningCluster withBitcoind(LightningCluster lc, String credentialsSecret) {
    lc.getSpec().chain.backend = ChainBackend.bitcoind;
    lc.getSpec().chain.bitcoind = new BitcoindSpec();
    lc.getSpec().chain.bitcoind.rpcHost = "bitcoind.chain.svc:8332";
    lc.getSpec().chain.bitcoind.rpcCredentialsSecretRef = new SecretRef(credentialsSecret);
    lc.getSpec().chain.bitcoind.zmqPubRawBlock = "tcp://bitcoind.chain.svc:28332";
    lc.getSpec().chain.bitcoind.zmqPubRawTx = "tcp://bitcoind.chain.svc:28333";
    return lc;
  }

  /** Points the cluster at btcd.chain.svc with the given credential and certificate Secrets. */
  public static LightningCluster withBtcd(
      LightningCluster lc, String credentialsSecret, String certSecret) {
    lc.getSpec().chain = new ChainSpec();
    lc.getSpec().chain.backend = ChainBackend.btcd;
    lc.getSpec().chain.btcd = new BtcdSpec();
    lc.getSpec().chain.btcd.rpcHost = "btcd.chain.svc:18334";
    lc.getSpec().chain.btcd.rpcCredentialsSecretRef = new SecretRef(credentialsSecret);
    lc.getSpec().chain.btcd.rpcCertSecretRef = new SecretKeyRef(certSecret, null);
    return lc;
  }

  /**
   * LND's data in PostgreSQL through the DSN in {@code dsnSecret} (key uri), trusting the CA in
   * {@code caSecret} (key ca.crt) when it is not null.
   */
  public static LightningCluster withPostgres(
      LightningCluster lc, String dsnSecret, String caSecret) {
    lc.getSpec().database = new dev.operator.lightning.api.DatabaseSpec();
    lc.getSpec().database.backend = dev.operator.lightning.api.DatabaseBackend.postgres;
    lc.getSpec().database.postgres = new dev.operator.lightning.api.PostgresSpec();
    lc.getSpec().database.postgres.dsnSecretRef = new SecretKeyRef(dsnSecret, null);
    if (caSecret != null) {
      lc.getSpec().database.postgres.caSecretRef = new SecretKeyRef(caSecret, null);
    }
    return lc;
  }

  private static LightningCluster cluster(
      String namespace, String name, LightningClusterSpec spec) {
    LightningCluster c = new LightningCluster();
    c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    c.setSpec(spec);
    return c;
  }
}
