package dev.operator.lightning;

import java.util.concurrent.ThreadFactory;

/** Named daemon threads, so background work never keeps a stopping operator alive. */
public final class DaemonThreads {
  private DaemonThreads() {}

  public static ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
