package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.it.Clusters;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClusterFactsTest {
  @Test
  void factsAreKeptPerVersionOfACluster() {
    ClusterFacts facts = new ClusterFacts();
    LightningCluster c = Clusters.onEtcd("ns", "c", "etcd:2379", "a/");
    c.getMetadata().setUid("u1");
    c.getMetadata().setResourceVersion("1");
    c.getMetadata().setCreationTimestamp("2026-01-01T00:00:00Z");

    ClusterFacts.Facts first = facts.of(c);
    assertThat(facts.of(c)).as("same version").isSameAs(first);

    c.getMetadata().setResourceVersion("2");
    c.getSpec().etcd.external.namespace = "b/";
    ClusterFacts.Facts second = facts.of(c);
    assertThat(second).as("new version").isNotSameAs(first);
    assertThat(second.spec().etcdNamespace()).isEqualTo("b/");

    facts.retainOnly(Set.of());
    c.getMetadata().setResourceVersion("2");
    assertThat(facts.of(c)).as("forgotten, computed again").isNotSameAs(second);
  }
}
