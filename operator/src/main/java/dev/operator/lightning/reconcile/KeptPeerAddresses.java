package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * Keeps the channel peers' addresses in the cluster's channel backup Secret, under a field manager
 * of their own, so that the backup's own apply neither removes them nor is removed by them.
 */
final class KeptPeerAddresses implements PeerReconnection.AddressBook {
  static final String FIELD_MANAGER = ObjectApplier.FIELD_MANAGER + "-channel-peers";

  private final KubernetesClient client;
  private final ClusterReads reads;

  KeptPeerAddresses(KubernetesClient client, ClusterReads reads) {
    this.client = client;
    this.reads = reads;
  }

  @Override
  public Map<String, String> load(Names n) {
    Secret s = reads.ownedSecret(n.namespace(), n.channelBackupSecret());
    String v = s == null || s.getData() == null ? null : s.getData().get(ChannelPeerAddresses.KEY);
    return ChannelPeerAddresses.parse(
        v == null ? null : new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
  }

  @Override
  public void save(LightningCluster cluster, Names n, Map<String, String> addresses) {
    Secret previous = reads.ownedSecret(n.namespace(), n.channelBackupSecret());
    Secret desired =
        new SecretBuilder()
            .withMetadata(LeaderNode.backupSecretMetadata(n).build())
            .withType("Opaque")
            .withData(
                Map.of(
                    ChannelPeerAddresses.KEY,
                    Base64.getEncoder()
                        .encodeToString(
                            ChannelPeerAddresses.format(addresses)
                                .getBytes(StandardCharsets.UTF_8))))
            .build();
    reads.written(
        cluster,
        client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply(),
        previous);
  }
}
