package dev.operator.lightning.harness;

import java.util.List;

/**
 * One node of the local cluster: its Node object's name and the zone its {@value #ZONE_LABEL} label
 * carries, so topology spread constraints and anti-affinity see three failure domains. An {@code
 * outside} node is tainted {@value #OUTSIDE_TAINT}: only pods that tolerate it run there, the world
 * a cluster under test talks to (its chain backend, its channel peer), which the faults aimed at
 * that cluster's nodes leave alone.
 */
public record LocalNode(String name, String zone, boolean outside) {
  public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
  public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";
  public static final String OUTSIDE_TAINT = "lightning-operator.test/outside";

  public LocalNode(String name, String zone) {
    this(name, zone, false);
  }

  /** The local cluster's nodes: one per zone. */
  public static final List<LocalNode> THREE_ZONES =
      List.of(
          new LocalNode("node-a", "a"), new LocalNode("node-b", "b"), new LocalNode("node-c", "c"));

  /** The node of the outside world, when a test asks for one. */
  public static final LocalNode OUTSIDE = new LocalNode("node-outside", "outside", true);
}
