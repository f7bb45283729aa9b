package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The monitor's election history against a real etcd killed and started again: it sees the leader
 * again after each restart, and keeps exactly one watch on the server. A history that started a
 * second watch at each break doubled them at every etcd restart of a chaos campaign, until the
 * members held thousands of streams and the machine ran out of memory.
 */
class ElectionHistoryIT {
  private static final String PREFIX = "/election/";

  @Test
  void aRestartedEtcdIsFollowedAgainWithOneWatch() throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        Client client = Client.builder().endpoints(etcd.url()).build()) {
      client.getKVClient().put(bytes(PREFIX + "m0"), bytes("m0")).get(10, TimeUnit.SECONDS);
      try (ElectionHistory history = new ElectionHistory(client, PREFIX)) {
        awaitLeader(history, "m0");
        awaitWatchers(etcd, 1);
        for (int restart = 1; restart <= 3; restart++) {
          etcd.restart();
          awaitLeader(history, "m0");
          awaitWatchers(etcd, 1);
        }
        client.getKVClient().delete(bytes(PREFIX + "m0")).get(10, TimeUnit.SECONDS);
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () -> assertThat(history.leader()).as("leader once m0's key is gone").isNull());
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> assertThat(watchers(etcd)).as("watchers on etcd after close").isZero());
    }
  }

  private static void awaitLeader(ElectionHistory history, String leader) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(history.leader()).as("leader seen").isEqualTo(leader));
  }

  /** Waits for the count to settle at {@code n}, then checks it stays there a moment longer. */
  private static void awaitWatchers(EtcdServer etcd, int n) throws Exception {
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(() -> assertThat(watchers(etcd)).as("watchers on etcd").isEqualTo(n));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(watchers(etcd)).as("watchers on etcd").isEqualTo(n));
  }

  /** etcd's own count of watchers, from its metrics. */
  private static long watchers(EtcdServer etcd) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(etcd.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    return r.body()
        .lines()
        .filter(l -> l.startsWith("etcd_debugging_mvcc_watcher_total "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no etcd_debugging_mvcc_watcher_total in metrics"));
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
