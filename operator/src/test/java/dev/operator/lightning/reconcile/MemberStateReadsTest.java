package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MemberStateReadsTest {
  private static final Instant T = Instant.parse("2026-12-03T00:00:00Z");
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Duration REFUSED = Duration.ofMillis(3);

  @Test
  void slowFailuresBackOffDoublingUpToTheCap() {
    MemberStateReads.Backoff b = null;
    long[] expectedMs = {250, 500, 1000, 2000, 2000, 2000};
    for (long ms : expectedMs) {
      b = MemberStateReads.Backoff.after(b, false, TIMEOUT, T);
      assertThat(Duration.between(T, b.until()).toMillis()).isEqualTo(ms);
    }
    assertThat(b.failures()).isEqualTo(expectedMs.length);
  }

  @Test
  void aQuickFailureIsNotBackedOffAndASuccessEndsTheBackoff() {
    assertThat(MemberStateReads.Backoff.after(null, false, REFUSED, T)).isNull();
    MemberStateReads.Backoff slow = MemberStateReads.Backoff.after(null, false, TIMEOUT, T);
    assertThat(MemberStateReads.Backoff.after(slow, false, REFUSED, T))
        .as("a refusal keeps, but does not grow, the backoff")
        .isEqualTo(slow);
    assertThat(MemberStateReads.Backoff.after(slow, true, TIMEOUT, T)).isNull();
  }

  @Test
  void aMemberInBackoffIsNotReadAndReadsAsUnknownUntilItsTime() throws Exception {
    MutableClock clock = new MutableClock(T);
    AtomicInteger calls = new AtomicInteger();
    try (MemberStateReads reads = new MemberStateReads(clock)) {
      // The read "takes" the timeout: the clock moves while it runs.
      assertThat(
              reads
                  .read(
                      "uid-1",
                      () -> {
                        calls.incrementAndGet();
                        clock.advance(TIMEOUT);
                        return Optional.empty();
                      })
                  .get())
          .isEmpty();
      assertThat(
              reads
                  .read(
                      "uid-1",
                      () -> {
                        calls.incrementAndGet();
                        return Optional.of("SERVER_ACTIVE");
                      })
                  .get())
          .as("within the backoff")
          .isEmpty();
      assertThat(calls).hasValue(1);
      assertThat(reads.read("uid-2", () -> Optional.of("WAITING_TO_START")).get())
          .as("another member is read at once")
          .contains("WAITING_TO_START");
      clock.advance(MemberStateReads.FIRST_BACKOFF);
      assertThat(reads.read("uid-1", () -> Optional.of("SERVER_ACTIVE")).get())
          .as("after the backoff")
          .contains("SERVER_ACTIVE");
    }
  }

  private static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
