package dev.operator.lightning.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One highly available LND node: N LND members that share their state in etcd and elect one leader,
 * which alone receives traffic through the cluster's Service.
 *
 * <p>Field descriptions live in {@code @JsonPropertyDescription} so that they reach the CRD and
 * {@code kubectl explain}.
 */
@Group(LightningCluster.GROUP)
@Version(LightningCluster.VERSION)
@Plural("lightningclusters")
@ShortNames("lnc")
@AdditionalPrinterColumn(name = "Leader", jsonPath = ".status.leader.pod")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class LightningCluster extends CustomResource<LightningClusterSpec, LightningClusterStatus>
    implements Namespaced {
  public static final String GROUP = "lightning.operator.dev";
  public static final String VERSION = "v1alpha1";
}
