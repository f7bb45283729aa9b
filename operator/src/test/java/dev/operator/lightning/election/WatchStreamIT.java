package dev.operator.lightning.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.it.EtcdMetrics;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.watch.WatchEvent;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many election watches on one gRPC stream, against a real etcd. */
class WatchStreamIT {
  private static final int PREFIXES = 40;
  private static final HttpClient http = HttpClient.newHttpClient();

  /** What one watch heard: the keys of its events, its progress answers and its failure. */
  private static final class Heard {
    final List<String> keys = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    volatile int progress;

    Watch.Listener listener() {
      return Watch.listener(
          r -> {
            if (r.getEvents().isEmpty()) {
              progress++;
            }
            for (WatchEvent e : r.getEvents()) {
              keys.add(e.getKeyValue().getKey().toString(StandardCharsets.UTF_8));
            }
          },
          errors::add,
          () -> errors.add(new IllegalStateException("completed")));
    }
  }

  @Test
  void manyPrefixesShareOneStreamAndEachHearsOnlyItsOwnKeys() throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        Client client = Client.builder().endpoints(etcd.url()).build();
        WatchStream stream = new WatchStream("test", client, Clock.systemUTC())) {
      long rev = put(client, "/unwatched/x", "0");
      Map<Integer, Heard> heard = new ConcurrentHashMap<>();
      List<Watch.Watcher> watchers = new ArrayList<>();
      for (int i = 0; i < PREFIXES; i++) {
        Heard h = new Heard();
        heard.put(i, h);
        watchers.add(stream.watch(bytes("/ns-" + i + "/election/"), rev + 1, h.listener()));
      }
      // ns-1 and ns-10 share leading characters: a prefix match, not a string one, separates them.
      for (int i = 0; i < PREFIXES; i++) {
        put(client, "/ns-" + i + "/election/" + i, "v");
        put(client, "/ns-" + i + "/data/" + i, "not an election key");
      }
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(heard.values())
                      .as("every watch heard its own key")
                      .allSatisfy(h -> assertThat(h.keys).hasSize(1)));
      heard.forEach(
          (i, h) ->
              assertThat(h.keys)
                  .as("what watch %d heard", i)
                  .containsExactly("/ns-" + i + "/election/" + i));
      assertThat(stream.streamsOpened()).as("gRPC streams the watches used").isEqualTo(1);
      String metrics = EtcdMetrics.read(http, etcd.url(), Duration.ofSeconds(5));
      assertThat(EtcdMetrics.gauge(metrics, "etcd_debugging_mvcc_watch_stream_total"))
          .as("watch streams etcd holds")
          .isEqualTo(1.0);
      assertThat(EtcdMetrics.gauge(metrics, "etcd_debugging_mvcc_watcher_total"))
          .as("watchers etcd holds")
          .isEqualTo(PREFIXES);

      // One watch leaves: etcd drops its watcher, the others keep hearing.
      watchers.get(0).close();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          EtcdMetrics.gauge(
                              EtcdMetrics.read(http, etcd.url(), Duration.ofSeconds(5)),
                              "etcd_debugging_mvcc_watcher_total"))
                      .as("watchers after one watch closed")
                      .isEqualTo(PREFIXES - 1));
      put(client, "/ns-0/election/again", "v");
      put(client, "/ns-1/election/again", "v");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(heard.get(1).keys).hasSize(2));
      assertThat(heard.get(0).keys).as("the closed watch").hasSize(1);
      assertThat(heard.values()).allSatisfy(h -> assertThat(h.errors).isEmpty());

      // Many ask for progress at once: one request goes, and every watch hears the answer.
      for (Watch.Watcher w : watchers.subList(1, PREFIXES)) {
        w.requestProgress();
      }
      assertThat(stream.progressRequestsSent()).as("progress requests sent for 39 asks").isOne();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(heard.entrySet())
                      .as("watches that heard the progress answer")
                      .filteredOn(e -> e.getKey() != 0)
                      .allSatisfy(e -> assertThat(e.getValue().progress).isGreaterThan(0)));
      assertThat(heard.get(0).progress).as("the closed watch heard no progress").isZero();

      // The last watch leaves: no stream stays open to an idle etcd.
      watchers.subList(1, PREFIXES).forEach(Watch.Watcher::close);
      assertThat(stream.isOpen()).isFalse();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          EtcdMetrics.gauge(
                              EtcdMetrics.read(http, etcd.url(), Duration.ofSeconds(5)),
                              "etcd_debugging_mvcc_watch_stream_total"))
                      .as("watch streams after every watch closed")
                      .isZero());
    }
  }

  /**
   * A watch from a compacted revision fails alone; a lost stream (etcd restarted) fails every
   * watch, and watches made afterwards open a new stream.
   */
  @Test
  void aCompactedWatchFailsAloneAndALostStreamFailsEveryWatch() throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        Client client = Client.builder().endpoints(etcd.url()).build();
        WatchStream stream = new WatchStream("test", client, Clock.systemUTC())) {
      long first = put(client, "/a/election/1", "v");
      long last = put(client, "/a/election/2", "v");
      Heard live = new Heard();
      Watch.Watcher liveWatch = stream.watch(bytes("/b/election/"), last + 1, live.listener());
      client.getKVClient().compact(last).get(5, TimeUnit.SECONDS);
      Heard compacted = new Heard();
      stream.watch(bytes("/a/election/"), first, compacted.listener());
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> assertOnlyError(compacted, "the watch from a compacted revision", "compacted"));
      put(client, "/b/election/1", "v");
      await().atMost(Duration.ofSeconds(10)).until(() -> live.keys.size() == 1);
      assertThat(live.errors).as("the other watch on the stream").isEmpty();
      assertThat(stream.watches()).isOne();
      // etcd answers progress again: the watcher it cancelled was cancelled by the client too.
      liveWatch.requestProgress();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> assertThat(live.progress).as("progress answers after the compaction").isOne());

      etcd.restart();
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(live.errors).as("the live watch's failure").hasSize(1));
      assertThat(stream.watches()).isZero();
      assertThat(stream.isOpen()).isFalse();

      Heard after = new Heard();
      long rev =
          await()
              .atMost(Duration.ofSeconds(20))
              .ignoreExceptions()
              .until(() -> put(client, "/c/election/0", "v"), r -> r > 0);
      stream.watch(bytes("/c/election/"), rev + 1, after.listener());
      put(client, "/c/election/1", "v");
      await().atMost(Duration.ofSeconds(20)).until(() -> after.keys.size() == 1);
      assertThat(stream.streamsOpened()).as("streams: the lost one and a new one").isEqualTo(2);
    }
  }

  /**
   * With etcd authentication the stream carries the client's token: a user's watch on its own
   * prefix hears, its watch on a prefix it may not read is refused alone, and a change to users and
   * roles leaves the stream usable.
   */
  @Test
  void anAuthenticatedClientWatchesItsOwnPrefixAndIsRefusedAnotherAlone() throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        Client root = Client.builder().endpoints(etcd.url()).build()) {
      var auth = root.getAuthClient();
      auth.roleAdd(bytes("root")).get(5, TimeUnit.SECONDS);
      auth.userAdd(bytes("root"), bytes("root-pw")).get(5, TimeUnit.SECONDS);
      auth.userGrantRole(bytes("root"), bytes("root")).get(5, TimeUnit.SECONDS);
      auth.roleAdd(bytes("tenant")).get(5, TimeUnit.SECONDS);
      auth.roleGrantPermission(
              bytes("tenant"),
              bytes("/tenant/"),
              io.etcd.jetcd.options.OptionsUtil.prefixEndOf(bytes("/tenant/")),
              io.etcd.jetcd.auth.Permission.Type.READWRITE)
          .get(5, TimeUnit.SECONDS);
      auth.userAdd(bytes("tenant"), bytes("tenant-pw")).get(5, TimeUnit.SECONDS);
      auth.userGrantRole(bytes("tenant"), bytes("tenant")).get(5, TimeUnit.SECONDS);
      auth.authEnable().get(5, TimeUnit.SECONDS);

      try (Client tenant =
              Client.builder()
                  .endpoints(etcd.url())
                  .user(bytes("tenant"))
                  .password(bytes("tenant-pw"))
                  .build();
          WatchStream stream = new WatchStream("tenant", tenant, Clock.systemUTC())) {
        long rev = put(tenant, "/tenant/election/0", "v");
        Heard own = new Heard();
        stream.watch(bytes("/tenant/election/"), rev + 1, own.listener());
        Heard other = new Heard();
        stream.watch(bytes("/other/election/"), rev + 1, other.listener());
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    assertOnlyError(
                        other, "the watch on a prefix the user may not read", "permission denied"));
        put(tenant, "/tenant/election/1", "v");
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(() -> assertThat(own.keys).containsExactly("/tenant/election/1"));
        assertThat(own.errors).as("the permitted watch").isEmpty();
        assertThat(stream.streamsOpened()).isOne();

        // A change to users or roles after the stream authenticated (etcd's simple tokens).
        try (Client admin =
            Client.builder()
                .endpoints(etcd.url())
                .user(bytes("root"))
                .password(bytes("root-pw"))
                .build()) {
          admin.getAuthClient().roleAdd(bytes("someone-else")).get(5, TimeUnit.SECONDS);
        }
        put(tenant, "/tenant/election/2", "v");
        Heard late = new Heard();
        stream.watch(bytes("/tenant/election/"), rev + 1, late.listener());
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    assertThat(late.keys)
                        .as("a watch made on the open stream after the change")
                        .containsExactly("/tenant/election/1", "/tenant/election/2"));
        assertThat(own.errors).as("the first watch, after the change").isEmpty();
      }
    }
  }

  private static void assertOnlyError(Heard h, String which, String message) {
    assertThat(h.errors)
        .as(which)
        .singleElement()
        .satisfies(e -> assertThat(e).hasMessageContaining(message));
  }

  private static long put(Client client, String key, String value) throws Exception {
    return client
        .getKVClient()
        .put(bytes(key), bytes(value))
        .get(5, TimeUnit.SECONDS)
        .getHeader()
        .getRevision();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
