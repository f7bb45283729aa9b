package dev.operator.lightning.harness;

import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.Watchable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch that outlives a restart of its API server. A restarted kube-apiserver's watch cache
 * begins at its own start, so a plain watch resuming from an older resource version is ended for
 * good with 410 Gone ("too old resource version"); this one then watches again from now, and the
 * server sends every object again as ADDED: what changed in between is seen as the state it left.
 * Handlers must take an object they already know again.
 */
final class ResumingWatch<T> implements Watch {
  private static final Logger log = LoggerFactory.getLogger(ResumingWatch.class);
  private static final ScheduledExecutorService RESUME =
      Executors.newSingleThreadScheduledExecutor(HarnessThreads.daemon("resuming-watch"));
  private static final long RETRY_MS = 500;

  private final String what;
  private final Watchable<T> source;
  private final Watcher<T> watcher;
  private Watch current;
  private Relay live;
  private boolean closed;

  private ResumingWatch(String what, Watchable<T> source, Watcher<T> watcher) {
    this.what = what;
    this.source = source;
    this.watcher = watcher;
  }

  /** Watches {@code source}; the first watch fails as a plain one would. */
  static <T> ResumingWatch<T> of(String what, Watchable<T> source, Watcher<T> watcher) {
    ResumingWatch<T> w = new ResumingWatch<>(what, source, watcher);
    w.open();
    return w;
  }

  /**
   * Watches again now: after its API server came back, rather than at the client's next attempt,
   * which its back-off may put tens of seconds later.
   */
  void restart() {
    Watch old;
    synchronized (this) {
      if (closed) {
        return;
      }
      old = current;
      current = null;
      live = null;
    }
    if (old != null) {
      old.close();
    }
    resume();
  }

  private void open() {
    Relay relay = new Relay();
    synchronized (this) {
      if (closed || live != null) {
        return;
      }
      // Live before the watch starts: its first events may come before watch() returns.
      live = relay;
    }
    Watch opened;
    try {
      opened = source.watch(relay);
    } catch (RuntimeException e) {
      synchronized (this) {
        if (live == relay) {
          live = null;
        }
      }
      throw e;
    }
    synchronized (this) {
      if (live == relay) {
        current = opened;
        return;
      }
    }
    opened.close();
  }

  private void resume() {
    try {
      open();
    } catch (RuntimeException e) {
      log.debug("{} watch not resumed yet: {}", what, e.toString());
      RESUME.schedule(this::resume, RETRY_MS, TimeUnit.MILLISECONDS);
    }
  }

  private synchronized boolean isLive(Relay relay) {
    return !closed && live == relay;
  }

  @Override
  public void close() {
    Watch last;
    synchronized (this) {
      closed = true;
      last = current;
      current = null;
      live = null;
    }
    if (last != null) {
      last.close();
    }
  }

  /** Passes on the events of one underlying watch while it is the live one. */
  private final class Relay implements Watcher<T> {
    @Override
    public void eventReceived(Action action, T resource) {
      if (isLive(this)) {
        watcher.eventReceived(action, resource);
      }
    }

    @Override
    public void onClose(WatcherException cause) {
      synchronized (ResumingWatch.this) {
        if (closed || live != this) {
          return;
        }
        current = null;
        live = null;
      }
      log.info("{} watch ended ({}); watching again from now", what, cause.getMessage());
      RESUME.execute(ResumingWatch.this::resume);
    }
  }
}
