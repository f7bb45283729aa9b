package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PaymentDriverTest {
  @Test
  void thePauseAfterFailuresDoublesUpToTheLongest() {
    assertThat(PaymentDriver.pauseAfterFailures(1)).isEqualTo(Duration.ofMillis(200));
    assertThat(PaymentDriver.pauseAfterFailures(2)).isEqualTo(Duration.ofMillis(400));
    assertThat(PaymentDriver.pauseAfterFailures(4)).isEqualTo(Duration.ofMillis(1600));
    assertThat(PaymentDriver.pauseAfterFailures(5)).isEqualTo(PaymentDriver.LONGEST_PAUSE);
    assertThat(PaymentDriver.pauseAfterFailures(10_000)).isEqualTo(PaymentDriver.LONGEST_PAUSE);
  }
}
