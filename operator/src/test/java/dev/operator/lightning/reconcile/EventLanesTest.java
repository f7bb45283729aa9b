package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventLanesTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger drops = new AtomicInteger();
  private EventLanes lanes;

  @AfterEach
  void close() {
    release.countDown();
    if (lanes != null) {
      lanes.close();
    }
  }

  /** A post held by the API server, as in a burst of failovers. */
  private Runnable hanging(CountDownLatch started) {
    return () -> {
      started.countDown();
      try {
        release.await(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  @Test
  void aPostTheApiServerHoldsNeverHoldsTheSender() throws Exception {
    lanes = new EventLanes(1, 16, drops::incrementAndGet);
    CountDownLatch started = new CountDownLatch(1);
    long before = System.nanoTime();
    lanes.send("ns/a", hanging(started));
    List<String> posted = new CopyOnWriteArrayList<>();
    lanes.send("ns/a", () -> posted.add("second"));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);

    assertThat(started.await(DEADLINE.toSeconds(), TimeUnit.SECONDS))
        .as("the held post runs on a lane")
        .isTrue();
    assertThat(tookMs).as("ms the sender spent handing over two events").isLessThan(1_000);
    assertThat(posted).as("the next event waits behind the held one").isEmpty();
    release.countDown();
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> assertThat(posted).as("posted once the lane is free").containsExactly("second"));
  }

  @Test
  void eventsOfOneClusterArePostedInTheOrderTheyWereSent() {
    lanes = new EventLanes(4, 256, drops::incrementAndGet);
    List<Integer> alpha = new CopyOnWriteArrayList<>();
    List<Integer> beta = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      lanes.send("ns/alpha", () -> alpha.add(n));
      lanes.send("other/beta", () -> beta.add(n));
    }
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              assertThat(alpha).as("alpha's events").hasSize(200).isSorted();
              assertThat(beta).as("beta's events").hasSize(200).isSorted();
            });
    assertThat(drops).as("nothing dropped below the queue's bound").hasValue(0);
  }

  @Test
  void aFullLaneDropsAndCountsRatherThanWait() throws Exception {
    lanes = new EventLanes(1, 2, drops::incrementAndGet);
    CountDownLatch started = new CountDownLatch(1);
    lanes.send("ns/a", hanging(started));
    assertThat(started.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    List<String> posted = new CopyOnWriteArrayList<>();
    for (String e : List.of("queued-1", "queued-2", "dropped-1", "dropped-2")) {
      lanes.send("ns/a", () -> posted.add(e));
    }
    assertThat(lanes.dropped()).as("events that found the queue full").isEqualTo(2);
    assertThat(drops).as("drops reported to the metrics").hasValue(2);
    release.countDown();
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> assertThat(posted).as("events posted").containsExactly("queued-1", "queued-2"));
  }

  @Test
  void aPostThatThrowsLeavesTheLaneWorking() {
    lanes = new EventLanes(1, 16, drops::incrementAndGet);
    List<Thread> posters = new CopyOnWriteArrayList<>();
    lanes.send("ns/a", () -> posters.add(Thread.currentThread()));
    lanes.send(
        "ns/a",
        () -> {
          throw new IllegalStateException("API server refused");
        });
    lanes.send("ns/a", () -> posters.add(Thread.currentThread()));
    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(posters).as("events posted").hasSize(2));
    // A worker that an exception ended would have been replaced by a new thread.
    assertThat(posters.get(1))
        .as("the lane's thread after a POST that threw")
        .isSameAs(posters.get(0));
  }

  @Test
  void closingPostsWhatIsQueuedAndCountsNothingSentAfter() {
    lanes = new EventLanes(1, 16, drops::incrementAndGet);
    List<String> posted = new CopyOnWriteArrayList<>();
    lanes.send("ns/a", () -> posted.add("first"));
    lanes.send("ns/a", () -> posted.add("queued"));
    lanes.close();
    assertThat(posted).as("events posted by the time close returns").contains("queued");
    lanes.send("ns/a", () -> posted.add("after close"));
    assertThat(drops).as("events sent after close counted as dropped").hasValue(0);
    assertThat(posted).doesNotContain("after close");
  }
}
