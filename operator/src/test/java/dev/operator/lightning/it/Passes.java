package dev.operator.lightning.it;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.reconcile.ClusterReconciliation;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Reconcile passes one after the other, as the operator runs them, counted. */
final class Passes implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger count = new AtomicInteger();
  private final Thread thread;

  Passes(ClusterReconciliation reconciliation, MemberScenario s) {
    thread =
        new Thread(
            () -> {
              while (running.get()) {
                try {
                  LightningCluster c = s.cluster();
                  if (c != null) {
                    reconciliation.reconcile(c);
                  }
                } catch (RuntimeException e) {
                  // As JOSDK does: the next pass retries (here: the scenario shutting down).
                  System.out.println("pass failed: " + e);
                }
                count.incrementAndGet();
                try {
                  Thread.sleep(100); // the pace of the operator's watch-driven passes
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "passes");
    thread.setDaemon(true);
    thread.start();
  }

  int count() {
    return count.get();
  }

  @Override
  public void close() {
    running.set(false);
    thread.interrupt();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
