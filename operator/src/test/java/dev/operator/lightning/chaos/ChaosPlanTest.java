package dev.operator.lightning.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A campaign's order of faults: every kind in its first round, the same order for one seed. */
class ChaosPlanTest {
  @Test
  void theFirstRoundCoversEveryKindAndASeedGivesOneOrder() {
    List<FaultKind> plan = ChaosCampaignIT.plan(new Random(7), 20);
    assertThat(plan).hasSize(20);
    assertThat(plan.subList(0, FaultKind.values().length))
        .containsExactlyInAnyOrder(FaultKind.values());
    assertThat(ChaosCampaignIT.plan(new Random(7), 20)).isEqualTo(plan);
    assertThat(ChaosCampaignIT.plan(new Random(8), 20)).isNotEqualTo(plan);
  }

  @Test
  void fewerFaultsThanKindsTakeTheFirstOfTheRound() {
    assertThat(ChaosCampaignIT.plan(new Random(1), 3)).hasSize(3).doesNotHaveDuplicates();
  }
}
