package dev.operator.lightning.reconcile;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which outdated member to replace next in a rolling update: members that are not healthy first
 * (replacing them costs nothing), then followers, the leader last. Replacing the leader last means
 * a spec change moves leadership exactly once, and onto a member that already runs the new spec;
 * replacing it earlier would hand leadership to a member that is itself replaced later.
 */
final class RollingOrder {
  private RollingOrder() {}

  /**
   * @param outdated names of members whose pod does not match the desired spec
   * @param healthy names of members that are active or standing by
   * @param leader the member holding the election, or null if unknown
   */
  static Optional<String> next(List<String> outdated, Set<String> healthy, String leader) {
    return outdated.stream()
        .min(
            Comparator.comparing((String pod) -> healthy.contains(pod))
                .thenComparing(pod -> pod.equals(leader))
                .thenComparing(pod -> pod));
  }
}
