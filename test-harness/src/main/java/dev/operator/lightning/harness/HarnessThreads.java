package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Threads and pod watches of the harness, which must never keep a finished test JVM alive. */
final class HarnessThreads {
  private static final Logger log = LoggerFactory.getLogger(HarnessThreads.class);

  private HarnessThreads() {}

  static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Watches pods and hands every event to {@code handler} on {@code executor}; after a restart of
   * the API server every pod comes again as ADDED (see {@link ResumingWatch}).
   */
  static Watch watchPods(
      FilterWatchListDeletable<Pod, PodList, PodResource> pods,
      Executor executor,
      BiConsumer<Watcher.Action, Pod> handler) {
    return ResumingWatch.of(
        "pod",
        pods,
        new Watcher<>() {
          @Override
          public void eventReceived(Action action, Pod pod) {
            executor.execute(() -> handler.accept(action, pod));
          }

          @Override
          public void onClose(WatcherException cause) {
            if (cause != null) {
              log.warn("pod watch closed: {}", cause.toString());
            }
          }
        });
  }
}
