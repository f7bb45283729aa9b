package dev.operator.lightning.harness;

import java.util.List;

/**
 * One node of the local cluster: its Node object's name and the zone its {@value #ZONE_LABEL} label
 * carries, so topology spread constraints and anti-affinity see three failure domains.
 */
public record LocalNode(String name, String zone) {
  public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
  public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

  /** The local cluster's nodes: one per zone. */
  public static final List<LocalNode> THREE_ZONES =
      List.of(
          new LocalNode("node-a", "a"), new LocalNode("node-b", "b"), new LocalNode("node-c", "c"));
}
