package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.NodeStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * Which reading of the leader's node the status shows. A block every ten minutes and peers that
 * come and go would otherwise rewrite every cluster's status several times an hour: at 1,000
 * clusters, a steady stream of writes for figures nobody acts on. So the block height and the peer
 * count are refreshed at most every {@link #REFRESH} once the node is synced to the chain; while it
 * catches up, every pass shows its progress, and what an operator acts on (identity, alias, sync
 * flags, channel counts, which pod was read) is written the pass it changes. A reading that changes
 * nothing is never written.
 */
final class NodeFigures {
  /** Longest a changed block height or peer count waits before the status shows it. */
  static final Duration REFRESH = Duration.ofMinutes(5);

  private NodeFigures() {}

  /**
   * @param shown what the status shows now, or null
   * @param read what this pass read from the leader, or null when nothing was read
   * @return the figures to show, with {@code readAt} set to when they were read: {@code shown}
   *     itself when the reading changes nothing, or changes only what may wait
   */
  static NodeStatus settle(NodeStatus shown, NodeStatus read, Instant now) {
    if (read == null || sameFigures(shown, read)) {
      // A reading that changes nothing is not written: readAt stays the time of the one shown.
      return shown;
    }
    if (shown == null
        || !Boolean.TRUE.equals(read.syncedToChain)
        || actionableChange(shown, read)
        || stale(shown, now)) {
      return stamped(read, now);
    }
    return shown;
  }

  private static boolean sameFigures(NodeStatus shown, NodeStatus read) {
    if (shown == null || shown.readAt == null) {
      return false;
    }
    NodeStatus unstamped = shown.copy();
    unstamped.readAt = read.readAt;
    return unstamped.equals(read);
  }

  private static boolean actionableChange(NodeStatus shown, NodeStatus read) {
    return !Objects.equals(shown.identityPubkey, read.identityPubkey)
        || !Objects.equals(shown.alias, read.alias)
        || !Objects.equals(shown.syncedToChain, read.syncedToChain)
        || !Objects.equals(shown.syncedToGraph, read.syncedToGraph)
        || !Objects.equals(shown.activeChannels, read.activeChannels)
        || !Objects.equals(shown.inactiveChannels, read.inactiveChannels)
        || !Objects.equals(shown.pendingChannels, read.pendingChannels)
        || !Objects.equals(shown.readFrom, read.readFrom);
  }

  /** Figures with no time, or an unreadable one, are stale: refreshing them is always safe. */
  private static boolean stale(NodeStatus shown, Instant now) {
    if (shown.readAt == null) {
      return true;
    }
    try {
      return !Instant.parse(shown.readAt).plus(REFRESH).isAfter(now);
    } catch (DateTimeParseException e) {
      return true;
    }
  }

  private static NodeStatus stamped(NodeStatus read, Instant now) {
    NodeStatus n = read.copy();
    n.readAt = now.truncatedTo(ChronoUnit.SECONDS).toString();
    return n;
  }
}
