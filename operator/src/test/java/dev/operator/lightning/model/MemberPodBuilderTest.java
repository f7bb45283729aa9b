package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LndSpec;
import dev.operator.lightning.it.Clusters;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemberPodBuilderTest {
  private static LightningCluster cluster() {
    LightningCluster lc = Clusters.managed("ns1", "c1");
    lc.getMetadata().setUid("uid-1");
    return lc;
  }

  @Test
  void eachMemberCampaignsUnderItsOwnPodName() {
    Pod pod = MemberPodBuilder.build(cluster(), EffectiveSpec.of(cluster()), 2, "h", true);
    Container lnd = pod.getSpec().getContainers().get(0);
    assertThat(pod.getMetadata().getName()).isEqualTo("c1-2");
    assertThat(lnd.getArgs()).contains("--cluster.id=c1-2");
    // A non-default --lnddir would make LND ignore tlscertpath and tlskeypath from lnd.conf.
    assertThat(lnd.getArgs()).noneMatch(a -> a.startsWith("--lnddir"));
    assertThat(pod.getSpec().getHostname()).isEqualTo("c1-2");
    assertThat(pod.getSpec().getSubdomain()).isEqualTo("c1-members");
    assertThat(lnd.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("SSL_CERT_DIR");
              assertThat(e.getValue()).endsWith(":" + MemberPaths.ETCD_CA_DIR);
            });
  }

  @Test
  void readinessParsesTheLowerCaseStateFieldAndAcceptsOnlyActiveStates() {
    Pod pod = MemberPodBuilder.build(cluster(), EffectiveSpec.of(cluster()), 0, "h", true);
    List<String> cmd =
        pod.getSpec().getContainers().get(0).getReadinessProbe().getExec().getCommand();
    String script = cmd.get(2);
    assertThat(script)
        .contains("jq -r .state", "/v1/state", "RPC_ACTIVE|SERVER_ACTIVE) exit 0")
        .doesNotContain(".State", "curl", "--no-check-certificate");
  }

  @Test
  void aConfigChangeChangesThePodHashSoMembersAreReplaced() {
    EffectiveSpec spec = EffectiveSpec.of(cluster());
    Pod a = MemberPodBuilder.build(cluster(), spec, 0, "hash-a", true);
    Pod b = MemberPodBuilder.build(cluster(), spec, 0, "hash-b", true);
    Pod a2 = MemberPodBuilder.build(cluster(), spec, 0, "hash-a", true);
    assertThat(DesiredHash.read(a))
        .isEqualTo(DesiredHash.read(a2))
        .isNotEqualTo(DesiredHash.read(b));
  }

  @Test
  void membersPreferDistinctNodesUnlessTheUserSetsAffinity() {
    Pod pod = MemberPodBuilder.build(cluster(), EffectiveSpec.of(cluster()), 0, "h", true);
    assertThat(
            pod.getSpec()
                .getAffinity()
                .getPodAntiAffinity()
                .getPreferredDuringSchedulingIgnoredDuringExecution()
                .get(0)
                .getPodAffinityTerm()
                .getTopologyKey())
        .isEqualTo("kubernetes.io/hostname");
  }

  @Test
  void userArgumentsFollowTheOperatorsOwn() {
    LightningCluster lc = cluster();
    lc.getSpec().lnd = new LndSpec();
    lc.getSpec().lnd.extraArgs = List.of("--debuglevel=debug");
    Pod pod = MemberPodBuilder.build(lc, EffectiveSpec.of(lc), 0, "h", true);
    assertThat(pod.getSpec().getContainers().get(0).getArgs()).endsWith("--debuglevel=debug");
  }

  @Test
  void thePostgresCaJoinsTheTrustStoreAndNoConnectionStringReachesThePod() {
    LightningCluster lc = Clusters.withPostgres(cluster(), "pg-app", "pg-ca");
    lc.getSpec().database.postgres.caSecretRef.key = "root.pem";
    Pod pod = MemberPodBuilder.build(lc, EffectiveSpec.of(lc), 0, "h", true);
    Container lnd = pod.getSpec().getContainers().get(0);
    assertThat(pod.getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getSecret()).isNotNull();
              assertThat(v.getSecret().getSecretName()).isEqualTo("pg-ca");
              assertThat(v.getSecret().getItems())
                  .singleElement()
                  .satisfies(
                      i -> {
                        assertThat(i.getKey()).isEqualTo("root.pem");
                        assertThat(i.getPath()).isEqualTo("ca.crt");
                      });
            })
        // The DSN travels inside lnd.conf only: its Secret is never mounted or read into env.
        .noneSatisfy(
            v ->
                assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName())
                    .isEqualTo("pg-app"));
    assertThat(lnd.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("SSL_CERT_DIR");
              assertThat(e.getValue())
                  .isEqualTo(
                      String.join(
                          ":",
                          MemberPaths.SYSTEM_CA_DIR,
                          MemberPaths.ETCD_CA_DIR,
                          MemberPaths.POSTGRES_CA_DIR));
            })
        .allSatisfy(e -> assertThat(e.getValueFrom()).isNull());
  }
}
