package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The leader Service's only EndpointSlice, written by the operator. Its endpoints are the pods the
 * routing decision chose; whoever calls this decides, this only renders.
 */
public final class LeaderEndpointSliceBuilder {
  public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "lightning.operator.dev";

  private LeaderEndpointSliceBuilder() {}

  public static EndpointSlice build(
      LightningCluster cluster, EffectiveSpec spec, List<Pod> routed) {
    Names n = spec.names();
    Map<String, String> labels = Labels.component(n.cluster(), Labels.COMPONENT_LND);
    labels.put("kubernetes.io/service-name", n.leaderService());
    labels.put(MANAGED_BY_LABEL, MANAGED_BY_VALUE);
    List<Endpoint> endpoints =
        routed.stream()
            .filter(p -> p.getStatus() != null && p.getStatus().getPodIP() != null)
            .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
            .map(LeaderEndpointSliceBuilder::endpoint)
            .toList();
    return DesiredHash.stamp(
        new EndpointSliceBuilder()
            .withMetadata(Owned.meta(cluster, n.leaderEndpointSlice(), labels))
            .withAddressType("IPv4")
            .withEndpoints(endpoints)
            .withPorts(
                LeaderServiceBuilder.ports().stream()
                    .map(
                        p ->
                            (EndpointPort)
                                new EndpointPortBuilder()
                                    .withName(p.getName())
                                    .withPort(p.getPort())
                                    .withProtocol("TCP")
                                    .build())
                    .toList())
            .build());
  }

  private static Endpoint endpoint(Pod pod) {
    return new EndpointBuilder()
        .withAddresses(pod.getStatus().getPodIP())
        .withNewConditions()
        .withReady(true)
        .withServing(true)
        .withTerminating(false)
        .endConditions()
        .withNodeName(pod.getSpec().getNodeName())
        .withNewTargetRef()
        .withKind("Pod")
        .withName(pod.getMetadata().getName())
        .withNamespace(pod.getMetadata().getNamespace())
        .withUid(pod.getMetadata().getUid())
        .endTargetRef()
        .build();
  }
}
