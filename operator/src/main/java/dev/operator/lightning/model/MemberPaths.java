package dev.operator.lightning.model;

/** Where files are mounted inside an LND member container. */
public final class MemberPaths {
  public static final String LND_DIR = "/var/lib/lnd";
  public static final String CONFIG_DIR = "/etc/lnd";
  public static final String CONFIG_FILE = CONFIG_DIR + "/lnd.conf";
  public static final String LND_TLS_DIR = "/var/run/lightning/lnd-tls";
  public static final String WALLET_DIR = "/var/run/lightning/wallet";
  public static final String WALLET_PASSWORD_FILE = WALLET_DIR + "/password";
  public static final String ETCD_CLIENT_DIR = "/var/run/lightning/etcd-client";

  /** Holds only the CA that signed etcd's server certificate; appended to SSL_CERT_DIR. */
  public static final String ETCD_CA_DIR = "/var/run/lightning/etcd-ca";

  /** Holds only the CA that signed PostgreSQL's server certificate; appended to SSL_CERT_DIR. */
  public static final String POSTGRES_CA_DIR = "/var/run/lightning/postgres-ca";

  /** Where alpine and Debian keep the system CAs, kept in SSL_CERT_DIR beside the etcd CA. */
  public static final String SYSTEM_CA_DIR = "/etc/ssl/certs";

  public static final int GRPC_PORT = 10009;
  public static final int REST_PORT = 8080;
  public static final int P2P_PORT = 9735;

  private MemberPaths() {}
}
