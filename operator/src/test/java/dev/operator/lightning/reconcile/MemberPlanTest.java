package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.model.Labels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Which member pods a pass creates and deletes, on tables of live and desired pods. */
class MemberPlanTest {
  static Pod pod(String name, String hash) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .addToAnnotations(Labels.DESIRED_HASH, hash)
        .endMetadata()
        .build();
  }

  static Pod deleting(String name, String hash) {
    Pod p = pod(name, hash);
    p.getMetadata().setDeletionTimestamp("2026-12-04T00:00:00Z");
    return p;
  }

  static List<Pod> desired(int n, String hash) {
    return IntStream.range(0, n).mapToObj(i -> pod("c-" + i, hash)).toList();
  }

  static List<String> describe(List<MemberPlan.Action> actions) {
    return actions.stream()
        .map(
            a ->
                a instanceof MemberPlan.Create c
                    ? "create " + c.pod().getMetadata().getName()
                    : "delete "
                        + ((MemberPlan.Delete) a).pod().getMetadata().getName()
                        + " "
                        + ((MemberPlan.Delete) a).why()
                        + (((MemberPlan.Delete) a).leader() ? " leader" : ""))
        .toList();
  }

  static final Set<String> ALL_HEALTHY = Set.of("c-0", "c-1", "c-2");

  @Test
  void aNewClusterGetsEveryMemberAndNothingIsDeleted() {
    assertThat(describe(MemberPlan.decide(desired(3, "h"), List.of(), Set.of(), null)))
        .containsExactly("create c-0", "create c-1", "create c-2");
  }

  @Test
  void anUnchangedSettledClusterNeedsNothing() {
    assertThat(MemberPlan.decide(desired(3, "h"), desired(3, "h"), ALL_HEALTHY, "c-0")).isEmpty();
  }

  @Test
  void aVanishedMemberIsRecreatedAlone() {
    List<Pod> live = List.of(pod("c-0", "h"), pod("c-2", "h"));
    assertThat(describe(MemberPlan.decide(desired(3, "h"), live, ALL_HEALTHY, "c-0")))
        .containsExactly("create c-1");
  }

  @Test
  void scaleDownRemovesTheHighestOrdinalsFirstAndSaysWhenOneLeads() {
    assertThat(describe(MemberPlan.decide(desired(1, "h"), desired(3, "h"), ALL_HEALTHY, "c-2")))
        .containsExactly("delete c-2 SCALE_DOWN leader", "delete c-1 SCALE_DOWN");
  }

  @Test
  void aMemberAlreadyDeletingIsNeitherDeletedAgainNorReplacedBeside() {
    List<Pod> live = List.of(pod("c-0", "h"), deleting("c-1", "h"), deleting("c-3", "h"));
    assertThat(MemberPlan.decide(desired(2, "h"), live, ALL_HEALTHY, "c-0")).isEmpty();
  }

  @Test
  void aSpecChangeReplacesOneFollowerAtATimeAndTheLeaderLast() {
    List<Pod> live = desired(3, "old");
    assertThat(describe(MemberPlan.decide(desired(3, "new"), live, ALL_HEALTHY, "c-0")))
        .containsExactly("delete c-1 OUTDATED");
    live = List.of(pod("c-0", "old"), pod("c-1", "new"), pod("c-2", "old"));
    assertThat(describe(MemberPlan.decide(desired(3, "new"), live, ALL_HEALTHY, "c-0")))
        .containsExactly("delete c-2 OUTDATED");
    live = List.of(pod("c-0", "old"), pod("c-1", "new"), pod("c-2", "new"));
    assertThat(describe(MemberPlan.decide(desired(3, "new"), live, ALL_HEALTHY, "c-0")))
        .containsExactly("delete c-0 OUTDATED leader");
  }

  @Test
  void noReplacementWhileAnotherMemberIsUnsettled() {
    // c-1 runs the new spec but is not healthy yet: replacing c-2 now would take two away.
    List<Pod> live = List.of(pod("c-0", "old"), pod("c-1", "new"), pod("c-2", "old"));
    assertThat(MemberPlan.decide(desired(3, "new"), live, Set.of("c-0", "c-2"), "c-0")).isEmpty();
    // Nor while one is being deleted, nor while one is missing.
    live = List.of(pod("c-0", "old"), deleting("c-1", "new"), pod("c-2", "old"));
    assertThat(MemberPlan.decide(desired(3, "new"), live, ALL_HEALTHY, "c-0")).isEmpty();
    live = List.of(pod("c-0", "old"), pod("c-2", "old"));
    assertThat(describe(MemberPlan.decide(desired(3, "new"), live, ALL_HEALTHY, "c-0")))
        .containsExactly("create c-1");
  }

  @Test
  void whenEveryMemberIsOutdatedAnUnhealthyOneIsReplacedEvenUnsettled() {
    // None can settle without being replaced (a spec that broke them all): start with the worst.
    assertThat(
            describe(MemberPlan.decide(desired(3, "new"), desired(3, "old"), Set.of("c-0"), "c-0")))
        .containsExactly("delete c-1 OUTDATED");
  }
}
