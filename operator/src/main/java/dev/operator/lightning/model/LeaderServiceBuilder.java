package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.List;

/**
 * The Service clients use. It has no selector: the operator writes its EndpointSlice itself, in the
 * same step as it learns who leads, so no stale label or probe can route traffic.
 */
public final class LeaderServiceBuilder {
  private LeaderServiceBuilder() {}

  public static List<ServicePort> ports() {
    return List.of(
        port("grpc", MemberPaths.GRPC_PORT),
        port("rest", MemberPaths.REST_PORT),
        port("p2p", MemberPaths.P2P_PORT));
  }

  public static Service build(LightningCluster cluster, EffectiveSpec spec) {
    Names n = spec.names();
    Service s =
        new ServiceBuilder()
            .withMetadata(
                Owned.meta(
                    cluster,
                    n.leaderService(),
                    Labels.component(n.cluster(), Labels.COMPONENT_LND)))
            .withNewSpec()
            .withType(spec.serviceType().name())
            .withPorts(ports())
            .endSpec()
            .build();
    if (spec.serviceAnnotations() != null && !spec.serviceAnnotations().isEmpty()) {
      s.getMetadata().setAnnotations(spec.serviceAnnotations());
    }
    return DesiredHash.stamp(s);
  }

  private static ServicePort port(String name, int port) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withProtocol("TCP")
        .withNewTargetPort(port)
        .build();
  }
}
