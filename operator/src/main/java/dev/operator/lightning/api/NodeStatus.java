package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * The leader's node as LND reports it (GetInfo), read with the cluster's read-only macaroon. Once
 * synced, its block height and peer count are refreshed at most every five minutes (see {@code
 * readAt}); the rest the pass it changes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeStatus {
  @JsonPropertyDescription("The node's identity public key (hex); the same on every leader.")
  public String identityPubkey;

  @JsonPropertyDescription("The node's alias as announced to the network.")
  public String alias;

  @JsonPropertyDescription("Whether LND considers its wallet synced to the chain backend's tip.")
  public Boolean syncedToChain;

  @JsonPropertyDescription("Whether LND finished its initial sync of the channel graph.")
  public Boolean syncedToGraph;

  @JsonPropertyDescription("Height of the best block LND has processed.")
  public Long blockHeight;

  @JsonPropertyDescription("Number of peers connected to the leader.")
  public Integer peers;

  @JsonPropertyDescription("Open channels whose peer is online.")
  public Integer activeChannels;

  @JsonPropertyDescription("Open channels whose peer is offline.")
  public Integer inactiveChannels;

  @JsonPropertyDescription("Channels waiting for their funding or closing transaction.")
  public Integer pendingChannels;

  @JsonPropertyDescription("The member pod these figures were read from.")
  public String readFrom;

  @JsonPropertyDescription(
      "When the reading shown here was taken (RFC 3339). Later readings are written only when"
          + " they differ: identity, sync flags and channel counts at once; once the node is synced"
          + " to the chain, a new block height or peer count five minutes after this time at the"
          + " earliest, so that blocks do not rewrite the status.")
  public String readAt;

  /** A field-by-field copy, so that stamping a reading never changes the one it came from. */
  public NodeStatus copy() {
    NodeStatus n = new NodeStatus();
    n.identityPubkey = identityPubkey;
    n.alias = alias;
    n.syncedToChain = syncedToChain;
    n.syncedToGraph = syncedToGraph;
    n.blockHeight = blockHeight;
    n.peers = peers;
    n.activeChannels = activeChannels;
    n.inactiveChannels = inactiveChannels;
    n.pendingChannels = pendingChannels;
    n.readFrom = readFrom;
    n.readAt = readAt;
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeStatus n
        && Objects.equals(identityPubkey, n.identityPubkey)
        && Objects.equals(alias, n.alias)
        && Objects.equals(syncedToChain, n.syncedToChain)
        && Objects.equals(syncedToGraph, n.syncedToGraph)
        && Objects.equals(blockHeight, n.blockHeight)
        && Objects.equals(peers, n.peers)
        && Objects.equals(activeChannels, n.activeChannels)
        && Objects.equals(inactiveChannels, n.inactiveChannels)
        && Objects.equals(pendingChannels, n.pendingChannels)
        && Objects.equals(readFrom, n.readFrom)
        && Objects.equals(readAt, n.readAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(identityPubkey, blockHeight, activeChannels);
  }
}
