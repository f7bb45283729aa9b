package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.it.ApiServerSupport;
import dev.operator.lightning.model.Labels;
import dev.operator.lightning.model.Names;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The peers' addresses share the channel backup Secret with the backup itself, each written by a
 * server-side apply of its own field manager: against the real API server, neither apply removes
 * what the other keeps.
 */
class KeptPeerAddressesIT {
  private static final String BOB = "02" + "b0".repeat(32);

  @Test
  void theBackupsApplyAndTheAddressesApplyKeepEachOthersKeys() {
    KubernetesClient client = ApiServerSupport.client();
    String ns = ApiServerSupport.newNamespace("peeraddr");
    Names n = new Names("alice", ns);
    LightningCluster cluster = new LightningCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("alice").withNamespace(ns).build());
    KeptPeerAddresses book = new KeptPeerAddresses(client, new ClusterReads(client));

    applyBackup(client, n, "first backup");
    book.save(cluster, n, Map.of(BOB, "10.96.0.9:9735"));
    assertThat(book.load(n)).containsExactly(Map.entry(BOB, "10.96.0.9:9735"));
    assertThat(data(client, n, LeaderNode.BACKUP_KEY)).isEqualTo("first backup");

    // The backup's next apply names only its own keys, as LeaderNode's does.
    applyBackup(client, n, "second backup");
    assertThat(book.load(n)).containsExactly(Map.entry(BOB, "10.96.0.9:9735"));

    book.save(cluster, n, Map.of(BOB, "10.96.0.10:9735"));
    assertThat(book.load(n)).containsExactly(Map.entry(BOB, "10.96.0.10:9735"));
    assertThat(data(client, n, LeaderNode.BACKUP_KEY)).isEqualTo("second backup");
    assertThat(data(client, n, LeaderNode.CHANNEL_POINTS_KEY)).isEqualTo("aa:0\n");
  }

  @Test
  void addressesKeptBeforeAnyBackupLeaveTheBackupToItsOwnApply() {
    KubernetesClient client = ApiServerSupport.client();
    String ns = ApiServerSupport.newNamespace("peeraddr");
    Names n = new Names("alice", ns);
    LightningCluster cluster = new LightningCluster();
    cluster.setMetadata(new ObjectMetaBuilder().withName("alice").withNamespace(ns).build());
    KeptPeerAddresses book = new KeptPeerAddresses(client, new ClusterReads(client));

    book.save(cluster, n, Map.of(BOB, "10.96.0.9:9735"));
    assertThat(data(client, n, LeaderNode.BACKUP_KEY)).isNull();
    applyBackup(client, n, "first backup");
    assertThat(book.load(n)).containsExactly(Map.entry(BOB, "10.96.0.9:9735"));
    assertThat(data(client, n, LeaderNode.BACKUP_KEY)).isEqualTo("first backup");
  }

  /** The channel backup applied with the operator's field manager and LeaderNode's keys. */
  private static void applyBackup(KubernetesClient client, Names n, String backup) {
    Secret desired =
        new SecretBuilder()
            .withMetadata(
                new ObjectMetaBuilder()
                    .withName(n.channelBackupSecret())
                    .withNamespace(n.namespace())
                    .withLabels(Labels.common(n.cluster()))
                    .build())
            .withType("Opaque")
            .withData(
                Map.of(
                    LeaderNode.BACKUP_KEY, encode(backup),
                    LeaderNode.CHANNEL_POINTS_KEY, encode("aa:0\n")))
            .build();
    client
        .resource(desired)
        .fieldManager(ObjectApplier.FIELD_MANAGER)
        .forceConflicts()
        .serverSideApply();
  }

  private static String data(KubernetesClient client, Names n, String key) {
    Secret s = client.secrets().inNamespace(n.namespace()).withName(n.channelBackupSecret()).get();
    String v = s.getData() == null ? null : s.getData().get(key);
    return v == null ? null : new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
  }

  private static String encode(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
