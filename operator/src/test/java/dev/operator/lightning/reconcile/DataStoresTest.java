package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.DatabaseBackend;
import dev.operator.lightning.api.DatabaseSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.PostgresSpec;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.it.Clusters;
import dev.operator.lightning.model.EffectiveSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DataStoresTest {
  private static final String OLDER = "2026-01-01T00:00:00Z";
  private static final String NEWER = "2026-01-02T00:00:00Z";
  private final Map<String, String> databases = new HashMap<>();

  static Stream<Arguments> etcdNamespaces() {
    return Stream.of(
        // older's namespace, newer's namespace, endpoint of the newer, relation (null: none)
        Arguments.of("tenant-a/", "tenant-a/", "etcd:2379", "equal to"),
        Arguments.of("tenant-a/", "tenant-b/", "etcd:2379", null),
        Arguments.of("tenant-a/", "tenant-a/", "other-etcd:2379", null),
        Arguments.of("tenant-a/", "tenant-a/", "ETCD:2379", "equal to"),
        Arguments.of(null, "tenant-b/", "etcd:2379", "inside"),
        Arguments.of("tenant-a/", null, "etcd:2379", "a parent of"),
        Arguments.of(null, null, "etcd:2379", "equal to"),
        // LND joins namespace and key without a separator.
        Arguments.of("a", "ab", "etcd:2379", "inside"),
        Arguments.of("a/", "ab/", "etcd:2379", null));
  }

  @ParameterizedTest
  @MethodSource("etcdNamespaces")
  void aNewerClusterWhoseEtcdNamespaceOverlapsAnOlderOnesIsRefused(
      String olderNs, String newerNs, String newerEndpoint, String relation) {
    LightningCluster older = onEtcd("older", OLDER, "etcd:2379", olderNs);
    LightningCluster newer = onEtcd("newer", NEWER, newerEndpoint, newerNs);

    Optional<DataStores.Conflict> c = conflict(newer, older, newer);

    if (relation == null) {
      assertThat(c).isEmpty();
    } else {
      assertThat(c).isPresent();
      assertThat(c.get().other()).isSameAs(older);
      assertThat(c.get().message())
          .contains("is " + relation, "ns/older", "starts no member", "lose");
    }
    assertThat(conflict(older, older, newer)).as("the older cluster is never refused").isEmpty();
  }

  @Test
  void aShortHostNameIsAServerOfTheClustersOwnNamespace() {
    LightningCluster older = onEtcd("older", OLDER, "etcd:2379", null);
    LightningCluster elsewhere = Clusters.onEtcd("other-ns", "elsewhere", "etcd:2379", null);
    elsewhere.getMetadata().setCreationTimestamp(NEWER);
    elsewhere.getMetadata().setUid("elsewhere");
    LightningCluster same = Clusters.onEtcd("other-ns", "same", "etcd.ns.svc:2379", null);
    same.getMetadata().setCreationTimestamp(NEWER);
    same.getMetadata().setUid("same");

    assertThat(conflict(elsewhere, older, elsewhere)).as("etcd of namespace other-ns").isEmpty();
    assertThat(conflict(same, older, same)).as("etcd of namespace ns, spelled out").isPresent();
  }

  @Test
  void twoClustersCreatedInTheSameSecondAreBothRefused() {
    LightningCluster a = onEtcd("a", OLDER, "etcd:2379", "shared/");
    LightningCluster b = onEtcd("b", OLDER, "etcd:2379", "shared/");

    assertThat(conflict(a, a, b)).isPresent();
    assertThat(conflict(b, a, b)).isPresent();
  }

  @Test
  void clustersOnManagedEtcdsOrWithTheirDataInPostgresShareNoEtcdData() {
    LightningCluster older = onEtcd("older", OLDER, "etcd:2379", null);
    LightningCluster managed = Clusters.managed("ns", "managed");
    managed.getMetadata().setCreationTimestamp(NEWER);
    managed.getMetadata().setUid("managed");
    LightningCluster pg = postgres(onEtcd("pg", NEWER, "etcd:2379", null), "pg-dsn");
    databases.put("ns/pg-dsn", "db:5432/lnd");

    assertThat(conflict(managed, older, managed)).isEmpty();
    assertThat(conflict(pg, older, pg)).isEmpty();
  }

  @Test
  void aNewerClusterOnTheSameDatabaseIsRefusedAndAnotherDatabaseIsNot() {
    LightningCluster older = postgres(onEtcd("older", OLDER, "etcd:2379", "a/"), "older-dsn");
    LightningCluster same = postgres(onEtcd("same", NEWER, "etcd:2379", "b/"), "same-dsn");
    LightningCluster other = postgres(onEtcd("other", NEWER, "etcd:2379", "c/"), "other-dsn");
    LightningCluster unread = postgres(onEtcd("unread", NEWER, "etcd:2379", "d/"), "no-dsn");
    databases.put("ns/older-dsn", "pg.example:5432/lnd");
    databases.put("ns/same-dsn", "PG.example:5432/lnd");
    databases.put("ns/other-dsn", "pg.example:5432/lnd2");

    Optional<DataStores.Conflict> c = conflict(same, older, same, other, unread);
    assertThat(c).isPresent();
    assertThat(c.get().other()).isSameAs(older);
    assertThat(c.get().message()).contains("pg.example:5432/lnd", "ns/older");
    assertThat(conflict(other, older, same, other, unread)).isEmpty();
    assertThat(conflict(unread, older, same, other, unread)).isEmpty();
    assertThat(conflict(older, older, same, other, unread)).isEmpty();
  }

  private Optional<DataStores.Conflict> conflict(LightningCluster self, LightningCluster... all) {
    return DataStores.conflict(
        self,
        EffectiveSpec.of(self),
        List.of(all),
        spec ->
            Optional.ofNullable(
                spec.postgres() == null
                    ? null
                    : databases.get(spec.names().namespace() + "/" + spec.postgres().dsn().name)),
        new ClusterFacts());
  }

  private static LightningCluster onEtcd(
      String name, String created, String endpoint, String namespace) {
    LightningCluster c = Clusters.onEtcd("ns", name, endpoint, namespace);
    c.getMetadata().setCreationTimestamp(created);
    c.getMetadata().setUid(name);
    return c;
  }

  private static LightningCluster postgres(LightningCluster c, String dsnSecret) {
    c.getSpec().database = new DatabaseSpec();
    c.getSpec().database.backend = DatabaseBackend.postgres;
    c.getSpec().database.postgres = new PostgresSpec();
    c.getSpec().database.postgres.dsnSecretRef = new SecretKeyRef(dsnSecret, "uri");
    return c;
  }
}
