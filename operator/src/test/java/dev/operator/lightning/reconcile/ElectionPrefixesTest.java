package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.ElectionSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.it.Clusters;
import dev.operator.lightning.model.EffectiveSpec;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ElectionPrefixesTest {
  static Stream<Arguments> roots() {
    return Stream.of(
        // etcd namespace, election.keyPrefix, watched root
        Arguments.of(null, null, "/lightning-operator/"),
        Arguments.of("", null, "/lightning-operator/"),
        Arguments.of("tenant-a/", null, "tenant-a//lightning-operator/"),
        Arguments.of(null, "/lightning-operator/custom", "/lightning-operator/"),
        Arguments.of(null, "/elect/here", "/elect/here/"),
        Arguments.of("t/", "/lightning-operatorx", "t//lightning-operatorx/"));
  }

  /**
   * Default prefixes on one etcd and namespace share one watched root; any other prefix is watched
   * alone; the root always contains the election's own keys.
   */
  @ParameterizedTest
  @MethodSource("roots")
  void electionsUnderTheSharedRootShareItsWatch(String namespace, String keyPrefix, String root) {
    LightningCluster lc = Clusters.onEtcd("ns", "c", "etcd:2379", namespace);
    if (keyPrefix != null) {
      lc.getSpec().election = new ElectionSpec();
      lc.getSpec().election.keyPrefix = keyPrefix;
    }
    EffectiveSpec spec = EffectiveSpec.of(lc);
    assertThat(ElectionPrefixes.watchRoot(spec)).isEqualTo(root);
    assertThat(ElectionPrefixes.listed(spec)).startsWith(root);
  }

  @org.junit.jupiter.api.Test
  void anElectionBehindEtcdAuthenticationIsWatchedAtItsOwnPrefix() {
    LightningCluster user = Clusters.onEtcd("ns", "c", "etcd:2379", null);
    user.getSpec().etcd.external.credentialsSecretRef =
        new dev.operator.lightning.api.SecretRef("etcd-user");
    EffectiveSpec spec = EffectiveSpec.of(user);
    assertThat(ElectionPrefixes.watchRoot(spec)).isEqualTo(ElectionPrefixes.listed(spec));
    LightningCluster cert = Clusters.onEtcd("ns", "c", "etcd:2379", null);
    cert.getSpec().etcd.external.tlsSecretRef =
        new dev.operator.lightning.api.SecretRef("etcd-tls");
    spec = EffectiveSpec.of(cert);
    assertThat(ElectionPrefixes.watchRoot(spec)).isEqualTo(ElectionPrefixes.listed(spec));
  }

  @org.junit.jupiter.api.Test
  void aManagedEtcdIsWatchedAtTheElectionsOwnPrefix() {
    EffectiveSpec spec = EffectiveSpec.of(Clusters.managed("ns", "m"));
    assertThat(ElectionPrefixes.watchRoot(spec)).isEqualTo(ElectionPrefixes.listed(spec));
  }
}
