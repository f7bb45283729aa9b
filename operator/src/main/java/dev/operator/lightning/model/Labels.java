package dev.operator.lightning.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** Labels and annotations the operator puts on what it owns. */
public final class Labels {
  public static final String PREFIX = "lightning.operator.dev/";
  public static final String CLUSTER = PREFIX + "cluster";
  public static final String MEMBER_ORDINAL = PREFIX + "member-ordinal";
  public static final String ROLE = PREFIX + "role";

  /** Hash of the desired object; an object whose hash matches is never written again. */
  public static final String DESIRED_HASH = PREFIX + "desired-hash";

  /** Hash of the lnd.conf a member pod was started with. */
  public static final String CONFIG_HASH = PREFIX + "config-hash";

  public static final String NAME = "app.kubernetes.io/name";
  public static final String INSTANCE = "app.kubernetes.io/instance";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGER = "lightning-operator";

  public static final String COMPONENT_LND = "lnd";
  public static final String COMPONENT_ETCD = "etcd";

  private Labels() {}

  /** Labels common to everything of one cluster. */
  public static Map<String, String> common(String cluster) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(NAME, "lightning-cluster");
    m.put(INSTANCE, cluster);
    m.put(MANAGED_BY, MANAGER);
    m.put(CLUSTER, cluster);
    return m;
  }

  public static Map<String, String> component(String cluster, String component) {
    Map<String, String> m = common(cluster);
    m.put(COMPONENT, component);
    return m;
  }

  /** Selector of one component's pods; stable across upgrades, so never add to it. */
  public static Map<String, String> selector(String cluster, String component) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(CLUSTER, cluster);
    m.put(COMPONENT, component);
    return m;
  }
}
