package dev.operator.lightning.election;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the observer knows about one election. The leader is the candidate with the lowest create
 * revision. When not {@code synced} (etcd unreachable, watch being re-established) the view says
 * nothing about the leader, rather than repeat a possibly stale one.
 *
 * @param candidates ordered by create revision, lowest (the leader) first
 * @param revision etcd revision this view reflects
 * @param leaderSinceRevision revision at which the current leader (or the lack of one) began
 * @param leaderSince when the observer saw the current leader (or its absence) begin
 */
public record ElectionView(
    boolean synced,
    List<Candidate> candidates,
    long revision,
    long leaderSinceRevision,
    Instant leaderSince) {

  public static ElectionView unsynced() {
    return new ElectionView(false, List.of(), 0, 0, null);
  }

  public Optional<Candidate> leader() {
    return synced && !candidates.isEmpty() ? Optional.of(candidates.get(0)) : Optional.empty();
  }
}
