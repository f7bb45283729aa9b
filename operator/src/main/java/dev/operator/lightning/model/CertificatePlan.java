package dev.operator.lightning.model;

import java.util.ArrayList;
import java.util.List;

/** Every certificate a cluster needs, with the names clients will verify. */
public final class CertificatePlan {
  private static final List<String> LOOPBACK_IPS = List.of("127.0.0.1");

  private CertificatePlan() {}

  public static List<CertificateRequest> of(EffectiveSpec spec) {
    Names n = spec.names();
    List<CertificateRequest> out = new ArrayList<>();
    List<String> lndNames = new ArrayList<>(serviceNames(n, n.leaderService()));
    lndNames.addAll(podWildcards(n, n.membersService()));
    lndNames.add("localhost");
    out.add(
        new CertificateRequest(n.lndTlsSecret(), n.cluster(), lndNames, LOOPBACK_IPS, true, false));
    if (spec.isManagedEtcd()) {
      List<String> serverNames = new ArrayList<>(serviceNames(n, n.etcdClientService()));
      serverNames.addAll(podWildcards(n, n.etcdPeerService()));
      serverNames.add("localhost");
      out.add(
          new CertificateRequest(
              n.etcdServerTlsSecret(), n.etcd(), serverNames, LOOPBACK_IPS, true, true));
      out.add(
          new CertificateRequest(
              n.etcdPeerTlsSecret(),
              n.etcd() + "-peer",
              podWildcards(n, n.etcdPeerService()),
              List.of(),
              true,
              true));
      out.add(
          new CertificateRequest(
              n.etcdClientTlsSecret(), n.cluster() + "-lnd", List.of(), List.of(), false, true));
    }
    return out;
  }

  /** The four names a Service answers to inside the cluster. */
  static List<String> serviceNames(Names n, String service) {
    return List.of(
        service,
        service + "." + n.namespace(),
        service + "." + n.namespace() + ".svc",
        service + "." + n.namespace() + ".svc." + Names.CLUSTER_DOMAIN);
  }

  /** Names of the pods behind a headless Service (pod.service.namespace.svc...). */
  static List<String> podWildcards(Names n, String headlessService) {
    return List.of(
        "*." + headlessService + "." + n.namespace() + ".svc",
        "*." + headlessService + "." + n.namespace() + ".svc." + Names.CLUSTER_DOMAIN);
  }
}
