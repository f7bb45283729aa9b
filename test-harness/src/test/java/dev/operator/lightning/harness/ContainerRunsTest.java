package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ContainerRunsTest {
  private static final Instant T0 = Instant.parse("2026-12-06T17:39:18Z");

  @Test
  void theFirstRecordOfAnEndStandsOverALaterOne() {
    // A graceful deletion records the end when the kubelet sees the process gone, before it
    // writes the status; the process's exit callback records it again, later.
    ContainerRuns runs = new ContainerRuns();
    int run = runs.started("demo-2", T0);
    runs.ended(run, T0.plusMillis(21_450));
    runs.ended(run, T0.plusMillis(21_507));
    ContainerRuns.Run r = runs.all().get(0);
    assertThat(r.ended()).isEqualTo(T0.plusMillis(21_450));
    assertThat(r.runsAt(T0.plusMillis(21_481))).as("after the status said terminated").isFalse();
  }

  @Test
  void aRunWithoutAnEndStillRuns() {
    ContainerRuns runs = new ContainerRuns();
    runs.started("demo-0", T0);
    assertThat(runs.all().get(0).runsAt(T0.plusSeconds(3600))).isTrue();
  }
}
