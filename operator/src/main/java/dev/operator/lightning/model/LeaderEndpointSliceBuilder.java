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

  /** An etcd revision at which the routed leader held the election; see {@link #build}. */
  public static final String ELECTION_REVISION = Labels.PREFIX + "election-revision";

  private LeaderEndpointSliceBuilder() {}

  /** A member the routing decision chose, and whether its endpoint is ready. */
  public record RoutedMember(Pod pod, boolean ready) {}

  /**
   * @param electionRevision etcd revision at which the routed leader (or the lack of one) began, or
   *     an earlier one at which the same members were routed, recorded so anyone can check the
   *     slice against the election history
   */
  public static EndpointSlice build(
      LightningCluster cluster,
      EffectiveSpec spec,
      List<RoutedMember> routed,
      long electionRevision) {
    Names n = spec.names();
    Map<String, String> labels = Labels.component(n.cluster(), Labels.COMPONENT_LND);
    labels.put("kubernetes.io/service-name", n.leaderService());
    labels.put(MANAGED_BY_LABEL, MANAGED_BY_VALUE);
    List<Endpoint> endpoints =
        routed.stream()
            .filter(r -> r.pod().getStatus() != null && r.pod().getStatus().getPodIP() != null)
            .sorted(Comparator.comparing(r -> r.pod().getMetadata().getName()))
            .map(r -> endpoint(r.pod(), r.ready()))
            .toList();
    var meta = Owned.meta(cluster, n.leaderEndpointSlice(), labels);
    meta.setAnnotations(Map.of(ELECTION_REVISION, Long.toString(electionRevision)));
    return DesiredHash.stamp(
        new EndpointSliceBuilder()
            .withMetadata(meta)
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

  private static Endpoint endpoint(Pod pod, boolean ready) {
    return new EndpointBuilder()
        .withAddresses(pod.getStatus().getPodIP())
        .withNewConditions()
        .withReady(ready)
        .withServing(ready)
        .withTerminating(pod.getMetadata().getDeletionTimestamp() != null)
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
