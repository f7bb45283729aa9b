package dev.operator.lightning.model;

/** Ports and mount paths of a managed etcd member. */
public final class EtcdPaths {
  public static final int CLIENT_PORT = EffectiveSpec.ETCD_CLIENT_PORT;
  public static final int PEER_PORT = 2380;

  /** Plain-HTTP listener for /readyz, /livez and /metrics, so probes need no client cert. */
  public static final int METRICS_PORT = 2381;

  public static final String DATA_DIR = "/var/lib/etcd";
  public static final String SERVER_TLS_DIR = "/var/run/etcd/server-tls";
  public static final String PEER_TLS_DIR = "/var/run/etcd/peer-tls";

  /** The seed document's recommendation for LND: large transactions and requests. */
  public static final int MAX_TXN_OPS = 16384;

  public static final long MAX_REQUEST_BYTES = 104857600L;

  /** Keep one hour of history; LND never compacts on its own. */
  public static final String AUTO_COMPACTION_MODE = "periodic";

  public static final String AUTO_COMPACTION_RETENTION = "1h";

  private EtcdPaths() {}
}
