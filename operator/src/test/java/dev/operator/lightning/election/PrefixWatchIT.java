package dev.operator.lightning.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.EtcdServer;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
      // Every progress request throws, as a client in a bad state would.
      Watch throwing =
          proxy(
              Watch.class,
              real.getWatchClient(),
              "requestProgress",
              () -> {
                progressCalls.incrementAndGet();
                throw new IllegalStateException("progress request refused (test)");
              });
      Client client = proxy(Client.class, real, "getWatchClient", () -> throwing);
      AtomicInteger changes = new AtomicInteger();
      PrefixWatch w =
          new PrefixWatch(
              "ns/c",
              client,
              "/e/",
              changes::incrementAndGet,
              scheduler,
              Clock.systemUTC(),
              Duration.ofMillis(200),
              Duration.ofSeconds(5));
      w.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> w.view().synced());
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
