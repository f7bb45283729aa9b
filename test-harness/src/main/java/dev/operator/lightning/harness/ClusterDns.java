package dev.operator.lightning.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cluster DNS for the local cluster, as hosts entries: Service names ({@code name.ns.svc}) to their
 * cluster IPs, and pods with a hostname and subdomain ({@code host.subdomain.ns.svc}, which is how
 * StatefulSet and member pods are addressed) to their pod IPs; each name also under {@code
 * .cluster.local}. The same entries go to every pod's {@code /etc/hosts} through the {@link
 * PodNetwork} and to this JVM's resolver through the {@link HostsFile}, so the operator and the
 * tests resolve names exactly as the pods do.
 */
public final class ClusterDns {
  private final PodNetwork network;
  // In the order names were added: a new name is appended, so the lines already in every pod's
  // hosts file keep their bytes while it is rewritten.
  private final Map<String, String> names = new LinkedHashMap<>();

  public ClusterDns(PodNetwork network) {
    this.network = network;
  }

  public synchronized void putService(String ns, String service, String ip) {
    put(service + "." + ns + ".svc", ip);
  }

  public synchronized void removeService(String ns, String service) {
    remove(service + "." + ns + ".svc");
  }

  public synchronized void putPod(String ns, String hostname, String subdomain, String ip) {
    put(hostname + "." + subdomain + "." + ns + ".svc", ip);
  }

  public synchronized void removePod(String ns, String hostname, String subdomain) {
    remove(hostname + "." + subdomain + "." + ns + ".svc");
  }

  private void put(String name, String ip) {
    if (ip.equals(names.put(name, ip))) {
      return;
    }
    HostsFile.put(name, ip);
    HostsFile.put(name + ".cluster.local", ip);
    publish();
  }

  private void remove(String name) {
    if (names.remove(name) != null) {
      HostsFile.remove(name);
      HostsFile.remove(name + ".cluster.local");
      publish();
    }
  }

  private void publish() {
    StringBuilder b = new StringBuilder("127.0.0.1 localhost\n::1 localhost\n");
    names.forEach(
        (name, ip) ->
            b.append(ip)
                .append(' ')
                .append(name)
                .append(' ')
                .append(name)
                .append(".cluster.local\n"));
    network.publishHosts(b.toString());
  }
}
