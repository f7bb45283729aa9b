package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RollingOrderTest {
  @Test
  void followersGoBeforeTheLeaderWhateverTheirOrdinal() {
    Set<String> healthy = Set.of("c-0", "c-1", "c-2");
    assertThat(RollingOrder.next(List.of("c-0", "c-1", "c-2"), healthy, "c-0")).contains("c-1");
    assertThat(RollingOrder.next(List.of("c-0", "c-2"), healthy, "c-0")).contains("c-2");
    assertThat(RollingOrder.next(List.of("c-0"), healthy, "c-0")).contains("c-0");
  }

  @Test
  void anUnhealthyMemberGoesFirstEvenIfItLeads() {
    assertThat(RollingOrder.next(List.of("c-0", "c-1", "c-2"), Set.of("c-0", "c-2"), "c-0"))
        .contains("c-1");
    assertThat(RollingOrder.next(List.of("c-0", "c-1"), Set.of("c-1"), "c-0")).contains("c-0");
  }

  @Test
  void withoutAKnownLeaderTheLowestOrdinalGoesFirst() {
    assertThat(RollingOrder.next(List.of("c-2", "c-1"), Set.of("c-1", "c-2"), null))
        .contains("c-1");
    assertThat(RollingOrder.next(List.of(), Set.of(), null)).isEmpty();
  }
}
