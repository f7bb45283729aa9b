package dev.operator.lightning.reconcile;

import java.util.Locale;

/**
 * One spelling per server address, so that the checks against other clusters compare servers, not
 * strings. Kubernetes resolves a short name in the client's namespace: {@code etcd:2379} in
 * namespace a and in namespace b are two servers, and {@code etcd}, {@code etcd.a}, {@code
 * etcd.a.svc} and {@code etcd.a.svc.cluster.local} seen from namespace a are one.
 */
final class StoreEndpoints {
  private StoreEndpoints() {}

  /**
   * @param endpoint host:port, optionally followed by /database
   * @param namespace the namespace of the cluster that wrote it
   */
  static String normal(String endpoint, String namespace) {
    String e = endpoint.toLowerCase(Locale.ROOT);
    int slash = e.indexOf('/');
    String database = slash < 0 ? "" : e.substring(slash);
    String hostPort = slash < 0 ? e : e.substring(0, slash);
    int colon = hostPort.lastIndexOf(':');
    if (hostPort.startsWith("[") || colon < 0) {
      return e; // an IPv6 literal or no port: as written
    }
    String host = hostPort.substring(0, colon);
    String port = hostPort.substring(colon);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.endsWith(".svc.cluster.local")) {
      host = host.substring(0, host.length() - ".cluster.local".length());
    }
    if (!host.matches("[0-9.]+") && !host.equals("localhost")) {
      String[] labels = host.split("\\.");
      if (labels.length == 1) {
        host = host + "." + namespace.toLowerCase(Locale.ROOT) + ".svc";
      } else if (labels.length == 2) {
        host = host + ".svc";
      }
    }
    return host + port + database;
  }
}
