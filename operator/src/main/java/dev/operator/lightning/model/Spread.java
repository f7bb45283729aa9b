package dev.operator.lightning.model;

import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import java.util.List;
import java.util.Map;

/**
 * How a cluster's pods are spread over failure domains by default. Soft (ScheduleAnyway): a
 * single-node or single-zone cluster still runs every member, only less safely, instead of leaving
 * pods Pending.
 */
public final class Spread {
  public static final String ZONE = "topology.kubernetes.io/zone";
  public static final String NODE = "kubernetes.io/hostname";

  private Spread() {}

  /** LND members over zones (one node per member is the member affinity's job). */
  public static List<TopologySpreadConstraint> members(Names n) {
    return List.of(constraint(ZONE, Labels.selector(n.cluster(), Labels.COMPONENT_LND)));
  }

  /**
   * Managed etcd members over nodes and zones: etcd holds the election, and with the data layout on
   * etcd the wallet too, so two members on one node or zone lose quorum together with it.
   */
  public static List<TopologySpreadConstraint> etcd(Names n) {
    Map<String, String> selector = Labels.selector(n.cluster(), Labels.COMPONENT_ETCD);
    return List.of(constraint(NODE, selector), constraint(ZONE, selector));
  }

  private static TopologySpreadConstraint constraint(String key, Map<String, String> selector) {
    return new TopologySpreadConstraintBuilder()
        .withMaxSkew(1)
        .withTopologyKey(key)
        .withWhenUnsatisfiable("ScheduleAnyway")
        .withNewLabelSelector()
        .withMatchLabels(selector)
        .endLabelSelector()
        .build();
  }
}
