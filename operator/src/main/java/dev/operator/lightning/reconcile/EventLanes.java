package dev.operator.lightning.reconcile;

import dev.operator.lightning.DaemonThreads;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts Kubernetes Events off the pass. A pass that posted its own events waited for each while
 * holding a reconcile thread: in a burst of 100 failovers at 1,000 clusters the pass that revoked a
 * lease posted four, 0.3 to 4 s apart, on an API server busy with the burst. Events are a record of
 * what a pass did, not a step of it: they go through a few lanes, a cluster always through the same
 * lane so that its events keep their order, each lane with a bounded queue. An event that finds its
 * lane's queue full is dropped and counted, as client-go's recorder does, rather than hold the
 * pass.
 */
public final class EventLanes implements EventSender {
  private static final Logger log = LoggerFactory.getLogger(EventLanes.class);

  /** Lanes of the operator; each posts one event at a time. */
  public static final int LANES = 4;

  /** Events waiting per lane before new ones are dropped. */
  public static final int QUEUED = 1024;

  /** How long closing the lanes waits for queued events to be posted. */
  static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(2);

  private final ThreadPoolExecutor[] lanes;
  private final Runnable onDrop;
  private final AtomicLong dropped = new AtomicLong();

  /**
   * @param onDrop told of every dropped event (the operator counts them in its metrics)
   */
  public EventLanes(Runnable onDrop) {
    this(LANES, QUEUED, onDrop);
  }

  EventLanes(int lanes, int queued, Runnable onDrop) {
    this.onDrop = onDrop;
    this.lanes = new ThreadPoolExecutor[lanes];
    for (int i = 0; i < lanes; i++) {
      ThreadPoolExecutor lane =
          new ThreadPoolExecutor(
              1,
              1,
              60,
              TimeUnit.SECONDS,
              new ArrayBlockingQueue<>(queued),
              DaemonThreads.named("cluster-events-" + i),
              new ThreadPoolExecutor.AbortPolicy());
      // Idle lanes hold no thread: a reconciliation made for a test costs nothing once done.
      lane.allowCoreThreadTimeOut(true);
      this.lanes[i] = lane;
    }
  }

  @Override
  public void send(String clusterKey, Runnable post) {
    ThreadPoolExecutor lane = lanes[Math.floorMod(clusterKey.hashCode(), lanes.length)];
    try {
      lane.execute(
          () -> {
            try {
              post.run();
            } catch (RuntimeException e) {
              log.warn("cannot record an event on {}: {}", clusterKey, e.toString());
            }
          });
    } catch (RejectedExecutionException e) {
      if (lane.isShutdown()) {
        // The operator is stopping: the event is not posted, and it is not a queue overflow.
        return;
      }
      long n = dropped.incrementAndGet();
      onDrop.run();
      // One line per hundred drops: a burst that overflows the queue must not flood the log too.
      if (n % 100 == 1) {
        log.warn(
            "dropped an event on {}: {} events already wait to be posted ({} dropped so far)",
            clusterKey,
            lane.getQueue().size(),
            n);
      }
    }
  }

  /** Events dropped so far because their lane's queue was full. */
  long dropped() {
    return dropped.get();
  }

  /**
   * Stops the lanes. Events already queued (the last failover's, when the operator hands over) are
   * posted for up to {@link #CLOSE_WAIT}; what is left then is not.
   */
  public void close() {
    for (ThreadPoolExecutor lane : lanes) {
      lane.shutdown();
    }
    long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
    try {
      for (ThreadPoolExecutor lane : lanes) {
        lane.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ThreadPoolExecutor lane : lanes) {
      lane.shutdownNow();
    }
  }
}
