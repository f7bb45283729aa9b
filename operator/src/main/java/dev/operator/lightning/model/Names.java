package dev.operator.lightning.model;

/** Names of every object a cluster owns, derived from the cluster's name alone. */
public record Names(String cluster, String namespace) {
  /** Cluster DNS suffix assumed for fully-qualified names in certificates. */
  public static final String CLUSTER_DOMAIN = "cluster.local";

  public String memberPod(int ordinal) {
    return cluster + "-" + ordinal;
  }

  /** The leader Service (no selector; the operator writes its EndpointSlice). */
  public String leaderService() {
    return cluster;
  }

  public String leaderEndpointSlice() {
    return cluster + "-leader";
  }

  /** Headless Service over every member pod, giving each a stable DNS name. */
  public String membersService() {
    return cluster + "-members";
  }

  public String memberDisruptionBudget() {
    return cluster + "-members";
  }

  /** Ingress rules of the LND member pods. */
  public String lndNetworkPolicy() {
    return cluster + "-lnd";
  }

  /** Ingress rules of the managed etcd's pods. */
  public String etcdNetworkPolicy() {
    return cluster + "-etcd";
  }

  public String lndConfigSecret() {
    return cluster + "-lnd-config";
  }

  public String lndTlsSecret() {
    return cluster + "-lnd-tls";
  }

  public String generatedWalletSecret() {
    return cluster + "-wallet";
  }

  /** The generated wallet seed; deliberately not owned by the cluster (see WalletSetup). */
  public String walletSeedSecret() {
    return cluster + "-wallet-seed";
  }

  /**
   * The wallet's macaroon root key, chosen by the operator; like the seed it outlives the cluster,
   * so the admin credentials can always be minted again.
   */
  public String macaroonKeySecret() {
    return cluster + "-macaroon-key";
  }

  /** Admin macaroon, LND TLS certificate and CA, for clients of the leader Service. */
  public String adminCredentialsSecret() {
    return cluster + "-admin";
  }

  /**
   * A read-only macaroon for the operator's own status reads, so they never carry the admin
   * macaroon; owned by the cluster, since it is minted again from the kept root key.
   */
  public String readOnlyMacaroonSecret() {
    return cluster + "-readonly";
  }

  /**
   * The latest multi-channel backup of the leader; like the seed it outlives the cluster, since it
   * is what brings the channels' funds back when etcd's data is gone.
   */
  public String channelBackupSecret() {
    return cluster + "-channel-backup";
  }

  public String caSecret() {
    return cluster + "-ca";
  }

  public String etcd() {
    return cluster + "-etcd";
  }

  /** Headless peer Service of the etcd StatefulSet. */
  public String etcdPeerService() {
    return etcd();
  }

  public String etcdClientService() {
    return cluster + "-etcd-client";
  }

  public String etcdPod(int ordinal) {
    return etcd() + "-" + ordinal;
  }

  public String etcdServerTlsSecret() {
    return cluster + "-etcd-server-tls";
  }

  public String etcdPeerTlsSecret() {
    return cluster + "-etcd-peer-tls";
  }

  public String etcdClientTlsSecret() {
    return cluster + "-etcd-client-tls";
  }

  /** name.namespace.svc, the form pods use to reach a Service. */
  public String serviceHost(String service) {
    return service + "." + namespace + ".svc";
  }
}
