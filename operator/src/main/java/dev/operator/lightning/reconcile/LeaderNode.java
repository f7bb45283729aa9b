package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.ChannelBackupStatus;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterStatus;
import dev.operator.lightning.api.NodeStatus;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.model.Labels;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.Names;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the active leader's node (GetInfo) and its channel backup with the cluster's read-only
 * macaroon, and keeps the latest backup in {@code <name>-channel-backup}. The backup is exported on
 * every pass the leader is active (at least every resync period, and after each failover), and
 * written only when it covers a different set of channels.
 */
final class LeaderNode {
  static final String BACKUP_KEY = "channel.backup";
  static final String CHANNEL_POINTS_KEY = "channel-points";

  /** The Secret's {@code kept} annotation, the same from each writer so that they share it. */
  static final String KEPT =
      "not deleted with the cluster: restores the channels' funds with the seed";

  private static final Logger log = LoggerFactory.getLogger(LeaderNode.class);

  /**
   * @param node what GetInfo said, or the previous figures when it could not be read
   * @param readable whether GetInfo answered on this pass
   */
  record Result(NodeStatus node, boolean readable, ChannelBackupStatus backup) {}

  private final KubernetesClient client;
  private final ClusterEvents events;
  private final Clock clock;
  private final ClusterReads reads;

  LeaderNode(KubernetesClient client, ClusterReads reads, ClusterEvents events, Clock clock) {
    this.client = client;
    this.reads = reads;
    this.events = events;
    this.clock = clock;
  }

  /** Nothing read: keep what the status last said. */
  static Result unread(LightningClusterStatus previous) {
    return new Result(
        previous == null ? null : previous.node,
        false,
        previous == null ? null : previous.channelBackup);
  }

  Result observe(
      LightningCluster cluster,
      Names n,
      String leaderPod,
      LndRestClient lnd,
      LightningClusterStatus previous,
      List<Problem> problems) {
    Result kept = unread(previous);
    byte[] macaroon = readOnlyMacaroon(n);
    if (macaroon == null) {
      return kept;
    }
    String host = leaderPod + "." + n.serviceHost(n.membersService());
    NodeStatus node;
    try {
      LndRestClient.NodeInfo info = lnd.getInfo(host, MemberPaths.REST_PORT, macaroon);
      node = new NodeStatus();
      node.identityPubkey = info.identityPubkey();
      node.alias = info.alias();
      node.syncedToChain = info.syncedToChain();
      node.syncedToGraph = info.syncedToGraph();
      node.blockHeight = info.blockHeight();
      node.peers = info.peers();
      node.activeChannels = info.activeChannels();
      node.inactiveChannels = info.inactiveChannels();
      node.pendingChannels = info.pendingChannels();
      node.readFrom = leaderPod;
    } catch (IOException e) {
      log.debug("{}: GetInfo on {} failed: {}", n.cluster(), leaderPod, e.getMessage());
      return kept;
    }
    ChannelBackupStatus backup = kept.backup();
    try {
      backup = keepBackup(cluster, n, leaderPod, lnd, macaroon, host, backup);
    } catch (IOException | KubernetesClientException e) {
      problems.add(
          new Problem(
              "ChannelBackupFailed",
              "exporting the channel backup of "
                  + leaderPod
                  + " into Secret "
                  + n.channelBackupSecret()
                  + " failed: "
                  + e.getMessage()
                  + "; retried on the next pass"));
    }
    return new Result(node, true, backup);
  }

  private ChannelBackupStatus keepBackup(
      LightningCluster cluster,
      Names n,
      String leaderPod,
      LndRestClient lnd,
      byte[] macaroon,
      String host,
      ChannelBackupStatus previous)
      throws IOException {
    LndRestClient.ChannelBackup exported =
        lnd.exportChannelBackups(host, MemberPaths.REST_PORT, macaroon);
    Secret secret = reads.ownedSecret(n.namespace(), n.channelBackupSecret());
    List<String> keptPoints =
        secret == null ? null : ChannelBackups.parse(decoded(secret, CHANNEL_POINTS_KEY));
    if (!ChannelBackups.replaces(exported.channelPoints(), keptPoints)) {
      if (previous == null && secret != null && keptPoints != null) {
        // Kept by an earlier operator run or a cluster of the same name: report it as found.
        ChannelBackupStatus found = new ChannelBackupStatus();
        found.secret = n.channelBackupSecret();
        found.channels = keptPoints.size();
        found.updatedAt =
            secret.getMetadata().getAnnotations() == null
                ? null
                : secret.getMetadata().getAnnotations().get(Labels.PREFIX + "backup-time");
        found.exportedFrom =
            secret.getMetadata().getAnnotations() == null
                ? null
                : secret.getMetadata().getAnnotations().get(Labels.PREFIX + "exported-from");
        return found;
      }
      return previous;
    }
    String time = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, String> data = new LinkedHashMap<>();
    data.put(BACKUP_KEY, Base64.getEncoder().encodeToString(exported.multiChannelBackup()));
    data.put(
        CHANNEL_POINTS_KEY,
        Base64.getEncoder()
            .encodeToString(
                ChannelBackups.format(exported.channelPoints()).getBytes(StandardCharsets.UTF_8)));
    Secret desired =
        new SecretBuilder()
            .withMetadata(
                backupSecretMetadata(n)
                    .addToAnnotations(Labels.PREFIX + "backup-time", time)
                    .addToAnnotations(Labels.PREFIX + "exported-from", leaderPod)
                    .build())
            .withType("Opaque")
            .withData(data)
            .build();
    reads.written(
        cluster,
        client
            .resource(desired)
            .fieldManager(ObjectApplier.FIELD_MANAGER)
            .forceConflicts()
            .serverSideApply(),
        secret);
    ChannelBackupStatus status = new ChannelBackupStatus();
    status.secret = n.channelBackupSecret();
    status.updatedAt = time;
    status.channels = exported.channelPoints().size();
    status.exportedFrom = leaderPod;
    events.normal(
        cluster,
        "ChannelBackupUpdated",
        "kept the backup of "
            + status.channels
            + " channel(s) exported from "
            + leaderPod
            + " in Secret "
            + n.channelBackupSecret());
    return status;
  }

  /**
   * What every writer of the channel backup Secret applies as its metadata; like the seed, the
   * Secret outlives the cluster, so it has no owner reference.
   */
  static ObjectMetaBuilder backupSecretMetadata(Names n) {
    return new ObjectMetaBuilder()
        .withName(n.channelBackupSecret())
        .withNamespace(n.namespace())
        .withLabels(Labels.common(n.cluster()))
        .addToAnnotations(Labels.PREFIX + "kept", KEPT);
  }

  private byte[] readOnlyMacaroon(Names n) {
    Secret s = reads.ownedSecret(n.namespace(), n.readOnlyMacaroonSecret());
    String v =
        s == null || s.getData() == null ? null : s.getData().get(WalletSetup.READ_ONLY_MACAROON);
    return v == null ? null : Base64.getDecoder().decode(v);
  }

  private static String decoded(Secret s, String key) {
    String v = s.getData() == null ? null : s.getData().get(key);
    return v == null ? null : new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
  }
}
