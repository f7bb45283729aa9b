package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.election.ElectionObserver;
import dev.operator.lightning.election.EtcdTarget;
import dev.operator.lightning.harness.EtcdServer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The election observer against a real etcd that goes away and comes back. */
class ElectionObserverIT {
  @Test
  void theReconcilerHearsWhenTheElectionIsLostAndWhenItIsSeenAgain() {
    // Whether the election was in sight at each call of the listener.
    List<Boolean> heard = new CopyOnWriteArrayList<>();
    ElectionObserver[] holder = new ElectionObserver[1];
    try (EtcdServer etcd = EtcdServer.start();
        ElectionObserver observer =
            new ElectionObserver(
                key -> heard.add(holder[0] != null && holder[0].view(key).synced()),
                Clock.systemUTC())) {
      holder[0] = observer;
      observer.track("ns/c", new EtcdTarget(etcd.endpoint(), null, null, null, null, null), "/e/");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> observer.view("ns/c") != null && observer.view("ns/c").synced());

      etcd.kill();
      await().atMost(Duration.ofSeconds(30)).until(() -> !observer.view("ns/c").synced());
      int beforeRestart = heard.size();
      assertThat(heard).as("the loss of sight was told").contains(false);

      etcd.restart();
      // Nothing changed in the (empty) election, but status still says it is not observed: the
      // reconciler must hear of it now, not at its next periodic pass.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(heard.subList(beforeRestart, heard.size()))
                    .as("calls after the restart, by whether the election was in sight")
                    .contains(true);
              });
    }
  }
}
