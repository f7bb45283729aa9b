package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

  /**
   * A lost node's members, all timing out at once, must not hold the reads of reachable members
   * (whose clusters' passes wait for them), nor make a pass wait for a free thread.
   */
  @Test
  void unreachableMembersNeverHoldTheReadsOfReachableOnes() throws Exception {
    MutableClock clock = new MutableClock(T);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (MemberStateReads reads = new MemberStateReads(clock)) {
      assertLostMembersWait(reads, clock, release);
    } finally {
      release.countDown();
    }
  }

  private static void assertLostMembersWait(
      MemberStateReads reads, MutableClock clock, java.util.concurrent.CountDownLatch release)
      throws Exception {
    {
      int lost = MemberStateReads.THREADS + MemberStateReads.SUSPECT_THREADS + 4;
      // Each lost member timed out once (the clock jumps by the timeout inside each read), and its
      // backoff has passed.
      for (int i = 0; i < lost; i++) {
        readTimingOut(reads, clock, "lost-" + i, null);
      }
      clock.advance(MemberStateReads.MAX_BACKOFF);

      // Now every lost member is read again, each hanging until released.
      List<java.util.concurrent.CompletableFuture<Optional<String>>> hanging =
          new java.util.ArrayList<>();
      for (int i = 0; i < lost; i++) {
        hanging.add(readTimingOut(reads, clock, "lost-" + i, release));
      }
      long unknownAtOnce = hanging.stream().filter(f -> f.isDone()).count();
      assertThat(unknownAtOnce)
          .as("lost members beyond the suspect threads read as unknown at once, not queued")
          .isEqualTo(lost - MemberStateReads.SUSPECT_THREADS);

      // A member turned away MAX_TURNED_AWAY times in a row is read on the shared threads: one
      // that answers again is not kept unread by the others.
      String turnedAway = "lost-" + (lost - 1);
      for (int i = 1; i < MemberStateReads.MAX_TURNED_AWAY; i++) {
        assertThat(reads.read(turnedAway, () -> Optional.of("SERVER_ACTIVE")).getNow(null))
            .as("turned away again: unknown at once")
            .isEqualTo(Optional.empty());
      }
      assertThat(
              reads
                  .read(turnedAway, () -> Optional.of("SERVER_ACTIVE"))
                  .get(5, java.util.concurrent.TimeUnit.SECONDS))
          .as(
              "a member turned away %d times, read on the shared threads",
              MemberStateReads.MAX_TURNED_AWAY)
          .contains("SERVER_ACTIVE");

      for (int i = 0; i < MemberStateReads.THREADS + 1; i++) {
        assertThat(
                reads
                    .read("healthy-" + i, () -> Optional.of("WAITING_TO_START"))
                    .get(5, java.util.concurrent.TimeUnit.SECONDS))
            .as("a reachable member's read while %d lost ones hang", lost)
            .contains("WAITING_TO_START");
      }
    }
  }

  /** A read whose clock moves by the timeout: waits on {@code release} first when given one. */
  private static java.util.concurrent.CompletableFuture<Optional<String>> readTimingOut(
      MemberStateReads reads,
      MutableClock clock,
      String member,
      java.util.concurrent.CountDownLatch release)
      throws Exception {
    var f =
        reads.read(
            member,
            () -> {
              if (release != null) {
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              clock.advance(TIMEOUT);
              return Optional.empty();
            });
    if (release == null) {
      f.get();
    }
    return f;
  }
}
