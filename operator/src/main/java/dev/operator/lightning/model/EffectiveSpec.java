package dev.operator.lightning.model;

import dev.operator.lightning.api.ChainSpec;
import dev.operator.lightning.api.DatabaseBackend;
import dev.operator.lightning.api.DatabaseSpec;
import dev.operator.lightning.api.ElectionSpec;
import dev.operator.lightning.api.ExternalEtcdSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterSpec;
import dev.operator.lightning.api.ManagedEtcdSpec;
import dev.operator.lightning.api.Network;
import dev.operator.lightning.api.PostgresSpec;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.api.ServiceType;
import dev.operator.lightning.api.StorageSpec;
import dev.operator.lightning.api.WalletSpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The spec with every default applied: the one place that knows the defaults, so the builders never
 * see a null. The API server applies the same defaults from the schema; these cover objects built
 * in code and fields whose default depends on the cluster's name.
 */
public record EffectiveSpec(
    Names names,
    int replicas,
    String image,
    Network network,
    ChainSpec chain,
    String extraConfig,
    List<String> extraArgs,
    ResourceRequirements resources,
    Map<String, String> nodeSelector,
    List<Toleration> tolerations,
    Affinity affinity,
    ManagedEtcd managedEtcd,
    ExternalEtcdSpec externalEtcd,
    String electionPrefix,
    int leaderSessionTtlSeconds,
    String walletSecretName,
    String walletSecretKey,
    boolean walletGenerated,
    String walletSeedSecretRef,
    dev.operator.lightning.api.SecretKeyRef walletChannelBackup,
    ServiceType serviceType,
    Map<String, String> serviceAnnotations,
    Postgres postgres) {

  public static final int ETCD_CLIENT_PORT = 2379;

  /** Settings of an operator-managed etcd, defaults applied. */
  public record ManagedEtcd(
      int replicas,
      String image,
      String storageSize,
      String storageClassName,
      int backendQuotaGiB,
      ResourceRequirements resources) {}

  /**
   * LND's data in PostgreSQL, defaults applied (null when the data stays in etcd).
   *
   * @param timeoutSeconds 0: no timeout
   */
  public record Postgres(
      SecretKeyRef dsn,
      SecretKeyRef ca,
      int maxConnections,
      int timeoutSeconds,
      boolean nativeSql) {}

  public static EffectiveSpec of(LightningCluster cluster) {
    LightningClusterSpec s = cluster.getSpec();
    Names names = new Names(cluster.getMetadata().getName(), cluster.getMetadata().getNamespace());
    Postgres postgres = postgres(s.database);
    ManagedEtcd managed = null;
    if (s.etcd != null && s.etcd.managed != null) {
      ManagedEtcdSpec m = s.etcd.managed;
      StorageSpec st = m.storage != null ? m.storage : new StorageSpec();
      boolean electionOnly = postgres != null;
      managed =
          new ManagedEtcd(
              or(m.replicas, 3),
              or(m.image, ManagedEtcdSpec.DEFAULT_IMAGE),
              or(st.size, electionOnly ? StorageSpec.ELECTION_ONLY_SIZE : StorageSpec.DEFAULT_SIZE),
              st.storageClassName,
              or(
                  m.backendQuotaGiB,
                  electionOnly
                      ? ManagedEtcdSpec.ELECTION_ONLY_QUOTA_GIB
                      : ManagedEtcdSpec.DEFAULT_QUOTA_GIB),
              m.resources);
    }
    ElectionSpec election = s.election != null ? s.election : new ElectionSpec();
    WalletSpec wallet = s.wallet != null ? s.wallet : new WalletSpec();
    boolean generated = wallet.passwordSecretRef == null;
    return new EffectiveSpec(
        names,
        or(s.replicas, 3),
        or(s.image, LightningClusterSpec.DEFAULT_IMAGE),
        s.network,
        s.chain,
        s.lnd != null ? s.lnd.config : null,
        s.lnd != null && s.lnd.extraArgs != null ? s.lnd.extraArgs : List.of(),
        s.resources,
        s.nodeSelector,
        s.tolerations,
        s.affinity,
        managed,
        s.etcd != null ? s.etcd.external : null,
        or(election.keyPrefix, defaultElectionPrefix(names)),
        or(election.leaderSessionTtlSeconds, ElectionSpec.DEFAULT_LEADER_SESSION_TTL_SECONDS),
        generated ? names.generatedWalletSecret() : wallet.passwordSecretRef.name,
        generated
            ? WalletSpec.DEFAULT_PASSWORD_KEY
            : or(wallet.passwordSecretRef.key, WalletSpec.DEFAULT_PASSWORD_KEY),
        generated,
        wallet.seedSecretRef != null ? wallet.seedSecretRef.name : null,
        wallet.channelBackupSecretRef != null
            ? new dev.operator.lightning.api.SecretKeyRef(
                wallet.channelBackupSecretRef.name,
                or(wallet.channelBackupSecretRef.key, WalletSpec.CHANNEL_BACKUP_KEY))
            : null,
        s.service != null && s.service.type != null ? s.service.type : ServiceType.ClusterIP,
        s.service != null ? s.service.annotations : null,
        postgres);
  }

  private static Postgres postgres(DatabaseSpec database) {
    if (database == null
        || database.backend != DatabaseBackend.postgres
        || database.postgres == null) {
      return null;
    }
    PostgresSpec p = database.postgres;
    return new Postgres(
        withKey(p.dsnSecretRef, PostgresSpec.DEFAULT_DSN_KEY),
        p.caSecretRef == null ? null : withKey(p.caSecretRef, PostgresSpec.DEFAULT_CA_KEY),
        or(p.maxConnections, PostgresSpec.DEFAULT_MAX_CONNECTIONS),
        or(p.timeoutSeconds, 0),
        Boolean.TRUE.equals(p.nativeSql));
  }

  /** The reference with its key, or {@code key} when it names none. */
  private static SecretKeyRef withKey(SecretKeyRef ref, String key) {
    return new SecretKeyRef(ref.name, ref.key == null || ref.key.isEmpty() ? key : ref.key);
  }

  /** Whether LND keeps its data in PostgreSQL, and etcd holds only the election. */
  public boolean isPostgres() {
    return postgres != null;
  }

  public DatabaseBackend databaseBackend() {
    return isPostgres() ? DatabaseBackend.postgres : DatabaseBackend.etcd;
  }

  /** Unique per namespace and name, so clusters sharing one etcd never campaign together. */
  public static String defaultElectionPrefix(Names names) {
    return "/lightning-operator/" + names.namespace() + "/" + names.cluster() + "/leader";
  }

  public boolean isManagedEtcd() {
    return managedEtcd != null;
  }

  /** host:port LND dials for both its data and its election. */
  public String etcdEndpoint() {
    return isManagedEtcd()
        ? names.serviceHost(names.etcdClientService()) + ":" + ETCD_CLIENT_PORT
        : externalEtcd.endpoint;
  }

  /** Whether LND talks TLS to etcd (always for managed etcd). */
  public boolean etcdTls() {
    return isManagedEtcd() || externalEtcd.tlsSecretRef != null;
  }

  /** Secret with ca.crt (and for client auth tls.crt, tls.key) that LND uses towards etcd. */
  public String etcdClientTlsSecret() {
    if (isManagedEtcd()) {
      return names.etcdClientTlsSecret();
    }
    return externalEtcd.tlsSecretRef != null ? externalEtcd.tlsSecretRef.name : null;
  }

  public String etcdNamespace() {
    return isManagedEtcd() ? null : externalEtcd.namespace;
  }

  private static <T> T or(T value, T fallback) {
    return Objects.requireNonNullElse(value, fallback);
  }
}
