package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.NodeStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LeaderNodeWorkTest {
  private static final Instant T = Instant.parse("2026-12-07T00:00:00Z");
  private static final Duration HANG_BOUND = Duration.ofSeconds(5);

  /** For work that must end within the wait, however loaded the machine. */
  private static final Duration LONG_WAIT = Duration.ofSeconds(10);

  /**
   * For tests with work that hangs and work that must end within the wait: under {@link
   * #HANG_BOUND}, and long enough for quick work on a loaded machine.
   */
  private static final Duration SHORT_WAIT = Duration.ofSeconds(2);

  private static LeaderNodeWork.Outcome read(String pubkey) {
    NodeStatus node = new NodeStatus();
    node.identityPubkey = pubkey;
    return new LeaderNodeWork.Outcome(new LeaderNode.Result(node, true, null), null, List.of());
  }

  private static LeaderNodeWork.Outcome unreadable() {
    return new LeaderNodeWork.Outcome(new LeaderNode.Result(null, false, null), null, List.of());
  }

  @Test
  void workThatEndsWithinTheWaitIsTakenByThePassThatStartedIt() {
    List<String> woken = new CopyOnWriteArrayList<>();
    try (LeaderNodeWork work =
        new LeaderNodeWork(
            woken::add, java.time.Clock.systemUTC(), LONG_WAIT, LeaderNodeWork.THREADS)) {
      Optional<LeaderNodeWork.Outcome> o = work.take("ns/a", "uid-1/lnd", () -> read("02aa"));
      assertThat(o).as("outcome of quick work").isPresent();
      assertThat(o.get().node().node().identityPubkey).isEqualTo("02aa");
      assertThat(woken).as("clusters woken").isEmpty();
    }
  }

  /**
   * A leader that never answers must not hold the pass: the pass goes on without its node, and when
   * the work ends the cluster is woken and the next pass takes it without new work.
   */
  @Test
  void aPassDoesNotWaitForWorkThatHangsAndTheWorkWakesTheClusterWhenItEnds() throws Exception {
    List<String> woken = new CopyOnWriteArrayList<>();
    CountDownLatch answer = new CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    try (LeaderNodeWork work =
        new LeaderNodeWork(
            woken::add, java.time.Clock.systemUTC(), SHORT_WAIT, LeaderNodeWork.THREADS)) {
      long t0 = System.nanoTime();
      Optional<LeaderNodeWork.Outcome> first =
          work.take(
              "ns/a",
              "uid-1/lnd",
              () -> {
                started.incrementAndGet();
                try {
                  answer.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return read("02aa");
              });
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(first).as("outcome while the leader does not answer").isEmpty();
      assertThat(took).as("time the pass waited").isLessThan(HANG_BOUND);

      Optional<LeaderNodeWork.Outcome> second =
          work.take("ns/a", "uid-1/lnd", () -> read("never started"));
      assertThat(second).as("outcome while the same work still runs").isEmpty();
      assertThat(started).as("work started for one process").hasValue(1);
      assertThat(woken).as("woken before the work ended").isEmpty();

      answer.countDown();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(woken).as("clusters woken").containsExactly("ns/a"));
      AtomicInteger more = new AtomicInteger();
      java.util.function.Supplier<LeaderNodeWork.Outcome> counted =
          () -> {
            more.incrementAndGet();
            return read("02bb");
          };
      Optional<LeaderNodeWork.Outcome> late = work.take("ns/a", "uid-1/lnd", counted);
      assertThat(late).as("the late outcome, taken by the woken pass").isPresent();
      assertThat(late.get().node().node().identityPubkey).isEqualTo("02aa");
      assertThat(more).as("new work started by the woken pass").hasValue(0);

      Optional<LeaderNodeWork.Outcome> next = work.take("ns/a", "uid-1/lnd", counted);
      assertThat(next.map(n -> n.node().node().identityPubkey))
          .as("the pass after: new work")
          .contains("02bb");
      assertThat(more).hasValue(1);
    }
  }

  /**
   * One piece of work per cluster: a deposed leader's late work and its successor's must never
   * write the channel backup or the peer memory together. The successor's starts once the
   * predecessor's has ended, and that end wakes the cluster.
   */
  @Test
  void aSuccessorsWorkStartsOnlyOnceItsPredecessorsHasEnded() {
    CountDownLatch answer = new CountDownLatch(1);
    List<String> woken = new CopyOnWriteArrayList<>();
    AtomicInteger successorStarted = new AtomicInteger();
    java.util.function.Supplier<LeaderNodeWork.Outcome> successor =
        () -> {
          successorStarted.incrementAndGet();
          return read("02cc");
        };
    try (LeaderNodeWork work =
        new LeaderNodeWork(
            woken::add, java.time.Clock.systemUTC(), SHORT_WAIT, LeaderNodeWork.THREADS)) {
      work.take("ns/a", "uid-1/lnd", () -> hang(answer, "02aa"));
      assertThat(work.take("ns/a", "uid-2/lnd", successor))
          .as("the successor's outcome while its predecessor's work runs")
          .isEmpty();
      assertThat(successorStarted).as("successor's work started beside it").hasValue(0);
      answer.countDown();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(woken).as("clusters woken").contains("ns/a"));
      assertThat(work.take("ns/a", "uid-2/lnd", successor).map(o -> o.node().node().identityPubkey))
          .as("the successor's node, once its predecessor's work ended")
          .contains("02cc");
      assertThat(successorStarted).hasValue(1);
    } finally {
      answer.countDown();
    }
  }

  /** Work queued behind others' for a leader deposed meanwhile is dropped, never run. */
  @Test
  void queuedWorkForALeaderNoLongerRoutedIsDropped() {
    CountDownLatch answer = new CountDownLatch(1);
    AtomicInteger deposedRan = new AtomicInteger();
    try (LeaderNodeWork work =
        new LeaderNodeWork(k -> {}, java.time.Clock.systemUTC(), Duration.ofMillis(200), 1)) {
      work.take("ns/a", "uid-1/lnd", () -> hang(answer, "02aa"));
      work.take(
          "ns/b",
          "uid-9/lnd",
          () -> {
            deposedRan.incrementAndGet();
            return read("02bb");
          });
      work.noLeader("ns/b");
      assertThat(work.isCurrent("ns/b", "uid-9/lnd")).isFalse();
      answer.countDown();
      // Once the queue has drained, new work for ns/a starts and ends at once.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(work.take("ns/a", "uid-1/lnd", () -> read("02ab")))
                      .map(o -> o.node().node().identityPubkey)
                      .contains("02ab"));
      assertThat(deposedRan).as("runs of the deposed leader's queued work").hasValue(0);
    } finally {
      answer.countDown();
    }
  }

  /**
   * What the last outcome reported (a backup it could not keep) stays reported while new work runs,
   * instead of coming and going pass by pass.
   */
  @Test
  void theLastOutcomeIsReportedAgainWhileNewWorkRuns() {
    CountDownLatch answer = new CountDownLatch(1);
    Problem backupFailed = new Problem("ChannelBackupFailed", "exporting failed");
    LeaderNodeWork.Outcome failing =
        new LeaderNodeWork.Outcome(
            new LeaderNode.Result(new NodeStatus(), true, null), null, List.of(backupFailed));
    try (LeaderNodeWork work =
        new LeaderNodeWork(
            k -> {}, java.time.Clock.systemUTC(), Duration.ofMillis(200), LeaderNodeWork.THREADS)) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> work.take("ns/a", "uid-1/lnd", () -> failing).isPresent());
      Optional<LeaderNodeWork.Outcome> whileRunning =
          work.take("ns/a", "uid-1/lnd", () -> hang(answer, "02aa"));
      assertThat(whileRunning.map(LeaderNodeWork.Outcome::problems))
          .as("problems reported while new work runs")
          .contains(List.of(backupFailed));
    } finally {
      answer.countDown();
    }
  }

  @Test
  void workThatThrowsLeavesNothingBehindAndNewWorkStartsOnTheNextPass() {
    try (LeaderNodeWork work =
        new LeaderNodeWork(
            k -> {}, java.time.Clock.systemUTC(), LONG_WAIT, LeaderNodeWork.THREADS)) {
      assertThat(
              work.take(
                  "ns/a",
                  "uid-1/lnd",
                  () -> {
                    throw new IllegalStateException("a bug");
                  }))
          .isEmpty();
      assertThat(work.take("ns/a", "uid-1/lnd", () -> read("02aa")))
          .map(o -> o.node().node().identityPubkey)
          .as("the next pass's work")
          .contains("02aa");
    }
  }

  private static LeaderNodeWork.Outcome hang(CountDownLatch answer, String pubkey) {
    try {
      answer.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return read(pubkey);
  }

  @Test
  void anOutcomeOfOneProcessIsNeverTakenForAnother() throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    List<String> woken = new CopyOnWriteArrayList<>();
    try (LeaderNodeWork work =
        new LeaderNodeWork(
            woken::add, java.time.Clock.systemUTC(), SHORT_WAIT, LeaderNodeWork.THREADS)) {
      work.take(
          "ns/a",
          "uid-1/lnd",
          () -> {
            try {
              answer.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return read("02aa");
          });
      answer.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> !woken.isEmpty());
      Optional<LeaderNodeWork.Outcome> other = work.take("ns/a", "uid-2/lnd", () -> read("02cc"));
      assertThat(other.map(n -> n.node().node().identityPubkey))
          .as("the new leader's own node, not its predecessor's")
          .contains("02cc");
    }
  }

  @Test
  void aLeaderWhoseWorkTimedOutIsLeftAloneUntilItsBackoffHasPassed() {
    MutableClock clock = new MutableClock(T);
    AtomicInteger calls = new AtomicInteger();
    try (LeaderNodeWork work =
        new LeaderNodeWork(k -> {}, clock, LONG_WAIT, LeaderNodeWork.THREADS)) {
      // The work "takes" a read timeout: the clock moves while it runs.
      java.util.function.Supplier<LeaderNodeWork.Outcome> timingOut =
          () -> {
            calls.incrementAndGet();
            clock.advance(Duration.ofSeconds(2));
            return unreadable();
          };
      assertThat(work.take("ns/a", "uid-1/lnd", timingOut)).isPresent();
      assertThat(work.take("ns/a", "uid-1/lnd", timingOut).map(o -> o.node().readable()))
          .as("within the backoff: the last, unreadable outcome")
          .contains(false);
      assertThat(calls).as("work started within the backoff").hasValue(1);
      clock.advance(LeaderNodeWork.FIRST_BACKOFF);
      work.take("ns/a", "uid-1/lnd", timingOut);
      assertThat(calls).as("after the first backoff").hasValue(2);
      clock.advance(LeaderNodeWork.FIRST_BACKOFF);
      work.take("ns/a", "uid-1/lnd", timingOut);
      assertThat(calls).as("the backoff doubled: one first backoff is not enough").hasValue(2);
      clock.advance(LeaderNodeWork.FIRST_BACKOFF);
      assertThat(work.take("ns/a", "uid-1/lnd", () -> read("02aa")))
          .as("after the doubled backoff")
          .isPresent();
      assertThat(work.take("ns/a", "uid-1/lnd", () -> read("02bb")))
          .map(o -> o.node().node().identityPubkey)
          .as("a success ends the backoff")
          .contains("02bb");
    }
  }
}
