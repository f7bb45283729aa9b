package dev.operator.lightning.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
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
@ValidationRule(
    value = "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message =
        "metadata.name must start with a lower-case letter and hold only lower-case letters, digits"
            + " and '-': it is also the name of the cluster's leader Service, a DNS-1035 label")
@ValidationRule(
    value = "size(self.metadata.name) <= " + LightningCluster.MAX_NAME_LENGTH,
    message =
        "metadata.name must be at most "
            + LightningCluster.MAX_NAME_LENGTH
            + " characters: the operator derives names such as <name>-etcd-server-tls and the etcd"
            + " StatefulSet's controller-revision-hash label <name>-etcd-<10-character hash>, which"
            + " Kubernetes limits to 63 characters")
@Group(LightningCluster.GROUP)
@Version(LightningCluster.VERSION)
@Plural("lightningclusters")
@ShortNames("lnc")
@AdditionalPrinterColumn(name = "Leader", jsonPath = ".status.leader.pod")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(
    name = "Synced",
    jsonPath = ".status.node.syncedToChain",
    type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(
    name = "Channels",
    jsonPath = ".status.node.activeChannels",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class LightningCluster extends CustomResource<LightningClusterSpec, LightningClusterStatus>
    implements Namespaced {
  public static final String GROUP = "lightning.operator.dev";
  public static final String VERSION = "v1alpha1";

  /**
   * The longest cluster name whose derived names all fit Kubernetes' 63-character limits (a test
   * recomputes it from {@code Names}).
   */
  public static final int MAX_NAME_LENGTH = 47;
}
