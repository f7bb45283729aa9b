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
        Client real = Client.builder().endpoints(etcd.url()).build()) {
      // Every progress request of every watch throws, as a watch in a bad state would.
      Watch realWatch = real.getWatchClient();
      Watch throwing =
          (Watch)
              Proxy.newProxyInstance(
                  Watch.class.getClassLoader(),
                  new Class<?>[] {Watch.class},
                  (p, m, args) -> {
                    Object result;
                    try {
                      result = m.invoke(realWatch, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                    return result instanceof Watch.Watcher watcher
                        ? proxy(
                            Watch.Watcher.class,
                            watcher,
                            "requestProgress",
                            () -> {
                              progressCalls.incrementAndGet();
                              throw new IllegalStateException("progress request refused (test)");
                            })
                        : result;
                  });
      Client client = proxy(Client.class, real, "getWatchClient", () -> throwing);
      AtomicInteger changes = new AtomicInteger();
      PrefixWatch w =
          new PrefixWatch(
              "ns/c",
              client,
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
        Client client = Client.builder().endpoints(etcd.url()).build()) {
      String a = "/lightning-operator/ns/a/leader/";
      String b = "/lightning-operator/ns/b/leader/";
      String other = "/lightning-operator/ns/other/leader/";
      long leaseA = campaign(client, a, "a-0");
      campaign(client, other, "other-0");
      PrefixWatch w =
          new PrefixWatch("root", client, "/lightning-operator/", scheduler, Clock.systemUTC());
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
   * Watches sharing one client each ask progress of their own stream only: jetcd's client-wide
   * request asks every stream of the client, which at N clusters is N * N requests per round.
   */
  @Test
  void eachWatchAsksProgressOfItsOwnStreamOnly() throws Exception {
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    java.util.Map<String, AtomicInteger> perStream = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicInteger clientWide = new AtomicInteger();
    try (EtcdServer etcd = EtcdServer.start();
        Client real = Client.builder().endpoints(etcd.url()).build()) {
      Watch realWatch = real.getWatchClient();
      Watch counting =
          (Watch)
              Proxy.newProxyInstance(
                  Watch.class.getClassLoader(),
                  new Class<?>[] {Watch.class},
                  (p, m, args) -> {
                    if (m.getName().equals("requestProgress")) {
                      clientWide.incrementAndGet();
                    }
                    Object result;
                    try {
                      result = m.invoke(realWatch, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                    if (result instanceof Watch.Watcher watcher) {
                      String key = ((ByteSequence) args[0]).toString(StandardCharsets.UTF_8);
                      AtomicInteger n = perStream.computeIfAbsent(key, k -> new AtomicInteger());
                      return proxy(
                          Watch.Watcher.class,
                          watcher,
                          "requestProgress",
                          () -> {
                            n.incrementAndGet();
                            watcher.requestProgress();
                            return null;
                          });
                    }
                    return result;
                  });
      Client client = proxy(Client.class, real, "getWatchClient", () -> counting);
      List<PrefixWatch> watches = new java.util.ArrayList<>();
      for (String prefix : List.of("/a/", "/b/", "/c/")) {
        PrefixWatch w =
            new PrefixWatch(
                prefix,
                client,
                prefix,
                scheduler,
                Clock.systemUTC(),
                Duration.ofMillis(200),
                Duration.ofSeconds(5));
        w.subscribe(prefix, prefix, () -> {});
        w.start();
        watches.add(w);
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(perStream.values())
                      .as("progress requests per stream")
                      .hasSize(3)
                      .allSatisfy(n -> assertThat(n.get()).isGreaterThanOrEqualTo(5)));
      assertThat(clientWide.get()).as("client-wide progress requests").isZero();
      watches.forEach(PrefixWatch::close);
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
