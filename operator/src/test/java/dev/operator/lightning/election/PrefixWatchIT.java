package dev.operator.lightning.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.EtcdServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.PutOption;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The watch's watchdog against a real etcd, with a client whose progress requests throw. */
class PrefixWatchIT {
  @Test
  void aWatchdogRoundThatThrowsStartsOverInsteadOfEndingTheWatchdog() throws Exception {
    AtomicInteger progressCalls = new AtomicInteger();
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    try (EtcdServer etcd = EtcdServer.start();
        Client client = Client.builder().endpoints(etcd.url()).build();
        WatchStream stream = new WatchStream("test", client, Clock.systemUTC())) {
      // Every progress request of every watch throws, as a watch in a bad state would.
      PrefixWatch.WatchSource throwing =
          (key, from, listener) ->
              proxy(
                  Watch.Watcher.class,
                  stream.watch(key, from, listener),
                  "requestProgress",
                  () -> {
                    progressCalls.incrementAndGet();
                    throw new IllegalStateException("progress request refused (test)");
                  });
      AtomicInteger changes = new AtomicInteger();
      PrefixWatch w =
          new PrefixWatch(
              "ns/c",
              client,
              throwing,
              "/e/",
              scheduler,
              Clock.systemUTC(),
              Duration.ofMillis(200),
              Duration.ofSeconds(5));
      w.subscribe("ns/c", "/e/", changes::incrementAndGet);
      w.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> w.view("ns/c").synced());
      // Each throwing round drops the view and lists again; the watchdog of the new watch runs
      // again, so the calls keep coming instead of stopping at the first exception.
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(progressCalls.get())
                      .as("watchdog rounds that reached the throwing progress request")
                      .isGreaterThanOrEqualTo(3));
      assertThat(changes.get())
          .as("the reconciler was told each time the view was lost and seen again")
          .isGreaterThanOrEqualTo(3);
      w.close();
    } finally {
      scheduler.shutdownNow();
    }
  }

  /**
   * One watch of a shared root follows several elections: each sees only its own candidates and
   * hears only of its own changes, keys of elections nobody follows are ignored, a late subscriber
   * sees what is already there and is told at once, and a lost watch is lost for all of them.
   */
  @Test
  void oneWatchOfARootFollowsEachElectionUnderItApart() throws Exception {
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    try (EtcdServer etcd = EtcdServer.start();
        Client client = Client.builder().endpoints(etcd.url()).build();
        WatchStream stream = new WatchStream("test", client, Clock.systemUTC())) {
      String a = "/lightning-operator/ns/a/leader/";
      String b = "/lightning-operator/ns/b/leader/";
      String other = "/lightning-operator/ns/other/leader/";
      long leaseA = campaign(client, a, "a-0");
      campaign(client, other, "other-0");
      PrefixWatch w =
          new PrefixWatch(
              "root", client, stream::watch, "/lightning-operator/", scheduler, Clock.systemUTC());
      List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
      w.subscribe("a", a, () -> heard.add("a"));
      w.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> w.view("a").synced());
      assertThat(w.view("a").leader().orElseThrow().clusterId()).isEqualTo("a-0");
      assertThat(w.view("a").candidates()).hasSize(1);

      // A cluster whose election already has a leader subscribes to the synced watch.
      long leaseB = campaign(client, b, "b-0");
      heard.clear();
      w.subscribe("b", b, () -> heard.add("b"));
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(heard).as("told on subscribing").contains("b"));
      assertThat(w.view("b").leader().orElseThrow().clusterId()).isEqualTo("b-0");

      // b's second candidate and a change under a prefix nobody follows: only b hears.
      heard.clear();
      campaign(client, b, "b-1");
      campaign(client, other, "other-1");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(w.view("b").candidates()).hasSize(2));
      assertThat(w.view("b").leader().orElseThrow().clusterId())
          .as("lowest create revision")
          .isEqualTo("b-0");
      assertThat(w.view("a").candidates()).as("a's candidates").hasSize(1);
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(heard)
                      .as("who heard of b's new candidate and other's")
                      .isNotEmpty()
                      .containsOnly("b"));

      // a's leader resigns: a hears, and its leader-since moves; b's does not.
      heard.clear();
      java.time.Instant bSince = w.view("b").leaderSince();
      client.getLeaseClient().revoke(leaseA).get(5, TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(w.view("a").leader()).isEmpty());
      await().atMost(Duration.ofSeconds(5)).until(() -> heard.contains("a"));
      assertThat(heard).doesNotContain("b");
      assertThat(w.view("b").leaderSince()).isEqualTo(bSince);

      // The one stream breaks: both lose sight and both see again.
      heard.clear();
      w.breakWatch();
      assertThat(w.view("a").synced()).isFalse();
      assertThat(w.view("b").synced()).isFalse();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> w.view("a").synced() && w.view("b").synced());
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(heard).contains("a", "b"));
      assertThat(w.view("b").leader().orElseThrow().clusterId()).isEqualTo("b-0");

      // A second follower of b's prefix (a refused duplicate) leaves without taking b's view.
      w.subscribe("b-duplicate", b, () -> {});
      assertThat(w.unsubscribe("b-duplicate")).isTrue();
      assertThat(w.view("b").synced()).as("b after its duplicate left").isTrue();

      assertThat(w.unsubscribe("a")).as("b still follows").isTrue();
      assertThat(w.view("a").synced()).as("an unsubscribed election").isFalse();
      assertThat(w.unsubscribe("b")).as("nobody follows").isFalse();
      client.getLeaseClient().revoke(leaseB).get(5, TimeUnit.SECONDS);
      w.close();
    } finally {
      scheduler.shutdownNow();
    }
  }

  /**
   * Watches of several prefixes on one etcd share one stream: each asks for progress every round,
   * the stream sends one request per {@link WatchStream#PROGRESS_SPACING} for all of them, and
   * every watch hears the answer, so none is restarted for silence.
   */
  @Test
  void watchesOfSeveralPrefixesShareOneStreamAndItsProgressRequests() throws Exception {
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    try (EtcdServer etcd = EtcdServer.start();
        Client client = Client.builder().endpoints(etcd.url()).build();
        WatchStream stream = new WatchStream("test", client, Clock.systemUTC())) {
      // The last write before the lists is a candidate of /a/: the watches start at its revision,
      // and its replay must not tell /a/ of a change.
      campaign(client, "/a/", "a-0");
      List<PrefixWatch> watches = new java.util.ArrayList<>();
      java.util.Map<String, AtomicInteger> told = new java.util.concurrent.ConcurrentHashMap<>();
      for (String prefix : List.of("/a/", "/b/", "/c/")) {
        PrefixWatch w =
            new PrefixWatch(
                prefix,
                client,
                stream::watch,
                prefix,
                scheduler,
                Clock.systemUTC(),
                Duration.ofMillis(200),
                Duration.ofSeconds(3));
        AtomicInteger n = told.computeIfAbsent(prefix, k -> new AtomicInteger());
        w.subscribe(prefix, prefix, n::incrementAndGet);
        w.start();
        watches.add(w);
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> told.values().stream().allMatch(n -> n.get() > 0));
      long sentBefore = stream.progressRequestsSent();
      java.time.Instant from = java.time.Instant.now();
      // Three watches asking every 200 ms for 8 s would be 120 requests; the stream sends one a
      // second, and no watch goes silent for its 3 s limit.
      await()
          .during(Duration.ofSeconds(8))
          .atMost(Duration.ofSeconds(12))
          .untilAsserted(
              () ->
                  assertThat(told)
                      .as("times each election was told of a change (1: seen once, never lost)")
                      .allSatisfy((p, n) -> assertThat(n.get()).isOne()));
      long seconds = Duration.between(from, java.time.Instant.now()).toSeconds();
      long sent = stream.progressRequestsSent() - sentBefore;
      assertThat(sent)
          .as("progress requests sent in %d s", seconds)
          .isBetween(seconds / 2, seconds + 1);
      assertThat(stream.streamsOpened()).as("gRPC streams").isOne();
      watches.forEach(PrefixWatch::close);
      assertThat(stream.isOpen()).as("stream after every watch closed").isFalse();
    } finally {
      scheduler.shutdownNow();
    }
  }

  /** Puts a candidate key the way Go's election does: the prefix and the lease id in hex. */
  private static long campaign(Client client, String prefix, String value) throws Exception {
    long lease = client.getLeaseClient().grant(60).get(5, TimeUnit.SECONDS).getID();
    client
        .getKVClient()
        .put(
            ByteSequence.from(prefix + Long.toHexString(lease), StandardCharsets.UTF_8),
            ByteSequence.from(value, StandardCharsets.UTF_8),
            PutOption.builder().withLeaseId(lease).build())
        .get(5, TimeUnit.SECONDS);
    return lease;
  }

  /** A proxy that answers one method itself and passes every other call to the real object. */
  @SuppressWarnings("unchecked")
  private static <T> T proxy(
      Class<T> type, T real, String method, java.util.function.Supplier<Object> answer) {
    return (T)
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            (p, m, args) -> {
              if (m.getName().equals(method)) {
                return answer.get();
              }
              try {
                return m.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
