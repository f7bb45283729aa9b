package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CrashLoopBackOffTest {
  private static List<Long> waits(CrashLoopBackOff b, int restarts) {
    List<Long> out = new ArrayList<>();
    Duration wait = Duration.ZERO;
    for (int i = 0; i < restarts; i++) {
      out.add(wait.toSeconds());
      wait = b.next(wait);
    }
    return out;
  }

  @Test
  void theKubeletsDefaultsDoubleFromTenSecondsToFiveMinutes() {
    assertThat(waits(CrashLoopBackOff.kubeletDefault(), 9))
        .containsExactly(0L, 10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L);
  }

  @Test
  void aConfiguredLongestWaitCapsTheWaitsAndNeverLengthensTheFirst() {
    assertThat(waits(CrashLoopBackOff.withMax(Duration.ofSeconds(15)), 5))
        .containsExactly(0L, 10L, 15L, 15L, 15L);
    assertThat(waits(CrashLoopBackOff.withMax(Duration.ofSeconds(4)), 4))
        .containsExactly(0L, 4L, 4L, 4L);
    assertThatThrownBy(() -> CrashLoopBackOff.withMax(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tenMinutesOfRunningForgetTheWaitsWhateverTheLongest() {
    CrashLoopBackOff b = CrashLoopBackOff.withMax(Duration.ofSeconds(10));
    assertThat(b.forgets(Duration.ofMinutes(10))).isTrue();
    assertThat(b.forgets(Duration.ofSeconds(599))).isFalse();
  }

  @Test
  void theSystemPropertySetsTheLongestWait() {
    String before = System.getProperty(CrashLoopBackOff.MAX_PROPERTY);
    try {
      System.clearProperty(CrashLoopBackOff.MAX_PROPERTY);
      assertThat(CrashLoopBackOff.configured()).isEqualTo(CrashLoopBackOff.kubeletDefault());
      System.setProperty(CrashLoopBackOff.MAX_PROPERTY, "20");
      assertThat(CrashLoopBackOff.configured().max()).isEqualTo(Duration.ofSeconds(20));
    } finally {
      if (before == null) {
        System.clearProperty(CrashLoopBackOff.MAX_PROPERTY);
      } else {
        System.setProperty(CrashLoopBackOff.MAX_PROPERTY, before);
      }
    }
  }
}
