package dev.operator.lightning.reconcile;

import dev.operator.lightning.model.DesiredHash;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which member pods a pass creates and deletes: a pure function of the desired pods and the live
 * ones. A spec change never takes more than one member away at a time, and the leader goes last.
 */
final class MemberPlan {
  private MemberPlan() {}

  /** Why a member pod is deleted. */
  enum Removal {
    /** Beyond spec.replicas. */
    SCALE_DOWN,
    /** Its pod does not match the desired spec. */
    OUTDATED
  }

  /** One step on the member pods. */
  sealed interface Action permits Create, Delete {}

  /** Create this desired pod, which has no live pod of its name. */
  record Create(Pod pod) implements Action {}

  /**
   * Delete this live pod.
   *
   * @param leader whether it is the pod of the election leader
   */
  record Delete(Pod pod, Removal why, boolean leader) implements Action {}

  /**
   * @param desired the member pods spec.replicas asks for, in ordinal order
   * @param live the cluster's member pods as the cache has them
   * @param healthy names of members that are active or standing by
   * @param leader the member holding the election, or null if unknown
   */
  static List<Action> decide(
      List<Pod> desired, List<Pod> live, Set<String> healthy, String leader) {
    Map<String, Pod> byName = new LinkedHashMap<>();
    live.forEach(p -> byName.put(p.getMetadata().getName(), p));
    List<Action> out = new ArrayList<>();
    List<Pod> outdated = new ArrayList<>();
    boolean allOthersSettled = true;
    for (Pod want : desired) {
      Pod current = byName.remove(want.getMetadata().getName());
      if (current == null) {
        out.add(new Create(want));
        allOthersSettled = false;
      } else if (Leadership.terminating(current)) {
        allOthersSettled = false;
      } else if (!DesiredHash.read(want).equals(DesiredHash.read(current))) {
        outdated.add(current);
      } else if (!healthy.contains(current.getMetadata().getName())) {
        // Healthy means active or standing by: a follower is never pod-Ready.
        allOthersSettled = false;
      }
    }
    byName.values().stream()
        .filter(p -> !Leadership.terminating(p))
        .sorted(Comparator.comparing((Pod p) -> p.getMetadata().getName()).reversed())
        .forEach(
            p ->
                out.add(
                    new Delete(p, Removal.SCALE_DOWN, p.getMetadata().getName().equals(leader))));
    // Only while the rest are settled, unless every member is outdated (then none can settle
    // without being replaced).
    if (!outdated.isEmpty() && (allOthersSettled || outdated.size() == desired.size())) {
      String next =
          RollingOrder.next(
                  outdated.stream().map(p -> p.getMetadata().getName()).toList(), healthy, leader)
              .orElseThrow();
      outdated.stream()
          .filter(p -> p.getMetadata().getName().equals(next))
          .findFirst()
          .ifPresent(p -> out.add(new Delete(p, Removal.OUTDATED, next.equals(leader))));
    }
    return out;
  }
}
