package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.it.Clusters;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The default placement of a cluster's pods over nodes and zones. */
class SpreadTest {
  private static LightningCluster cluster() {
    LightningCluster lc = Clusters.managed("ns1", "c1");
    lc.getMetadata().setUid("uid-1");
    return lc;
  }

  private static String describe(TopologySpreadConstraint c) {
    return c.getTopologyKey()
        + " skew "
        + c.getMaxSkew()
        + " "
        + c.getWhenUnsatisfiable()
        + " "
        + new TreeMap<>(c.getLabelSelector().getMatchLabels());
  }

  /** The labels in one order, whatever order Map.of iterates in. */
  private static String sorted(Map<String, String> labels) {
    return new TreeMap<>(labels).toString();
  }

  @Test
  void membersSpreadOverZonesSoftlyWhateverAffinityTheUserSets() {
    LightningCluster lc = cluster();
    lc.getSpec().affinity = new io.fabric8.kubernetes.api.model.Affinity();
    var pod = MemberPodBuilder.build(lc, EffectiveSpec.of(lc), 1, "h", true);
    assertThat(pod.getSpec().getTopologySpreadConstraints())
        .extracting(SpreadTest::describe)
        .containsExactly(
            "topology.kubernetes.io/zone skew 1 ScheduleAnyway "
                + sorted(
                    Map.of(
                        "lightning.operator.dev/cluster",
                        "c1",
                        "app.kubernetes.io/component",
                        "lnd")));
  }

  @Test
  void etcdMembersSpreadOverNodesAndZonesSoftly() {
    LightningCluster lc = cluster();
    StatefulSet sts = EtcdStatefulSetBuilder.build(lc, EffectiveSpec.of(lc));
    Map<String, String> etcd =
        Map.of("lightning.operator.dev/cluster", "c1", "app.kubernetes.io/component", "etcd");
    assertThat(sts.getSpec().getTemplate().getSpec().getTopologySpreadConstraints())
        .extracting(SpreadTest::describe)
        .containsExactly(
            "kubernetes.io/hostname skew 1 ScheduleAnyway " + sorted(etcd),
            "topology.kubernetes.io/zone skew 1 ScheduleAnyway " + sorted(etcd));
    // The selector is the StatefulSet's own: the constraint counts exactly its pods.
    assertThat(sts.getSpec().getSelector().getMatchLabels()).isEqualTo(etcd);
    assertThat(sts.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(etcd);
  }

  @Test
  void etcdMembersGoWhereTheClustersNodeSelectorAndTolerationsSendItsMembers() {
    LightningCluster lc = cluster();
    lc.getSpec().nodeSelector = Map.of("pool", "lightning");
    lc.getSpec().tolerations =
        List.of(
            new io.fabric8.kubernetes.api.model.TolerationBuilder()
                .withKey("dedicated")
                .withOperator("Equal")
                .withValue("lightning")
                .withEffect("NoSchedule")
                .build());
    var etcdPod = EtcdStatefulSetBuilder.build(lc, EffectiveSpec.of(lc)).getSpec().getTemplate();
    var member = MemberPodBuilder.build(lc, EffectiveSpec.of(lc), 0, "h", true);
    assertThat(etcdPod.getSpec().getNodeSelector()).isEqualTo(Map.of("pool", "lightning"));
    assertThat(etcdPod.getSpec().getTolerations())
        .isEqualTo(member.getSpec().getTolerations())
        .hasSize(1);
    LightningCluster plain = cluster();
    assertThat(
            EtcdStatefulSetBuilder.build(plain, EffectiveSpec.of(plain))
                .getSpec()
                .getTemplate()
                .getSpec()
                .getNodeSelector())
        .isNullOrEmpty();
  }

  @Test
  void eachClusterIsSpreadOnItsOwn() {
    List<TopologySpreadConstraint> a = Spread.etcd(new Names("a", "ns1"));
    List<TopologySpreadConstraint> b = Spread.etcd(new Names("b", "ns1"));
    assertThat(a.get(0).getLabelSelector()).isNotEqualTo(b.get(0).getLabelSelector());
  }
}
