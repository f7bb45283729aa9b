package dev.operator.lightning.it;

import dev.operator.lightning.election.ElectionObserver;
import dev.operator.lightning.metrics.OperatorMetrics;
import dev.operator.lightning.reconcile.ClusterReads;
import dev.operator.lightning.reconcile.ClusterReconciliation;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;

/** A reconciliation to call directly, without JOSDK, with its own election observer. */
final class Reconciliations {
  private Reconciliations() {}

  /** How many reconciliations of the running operator threw (JOSDK's own counter). */
  static double failed(dev.operator.lightning.Main.Running operator) {
    return operator.registry().find("operator.sdk.reconciliations.failed").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count)
        .sum();
  }

  /** Every read a GET: no informer caches. */
  static ClusterReconciliation direct(KubernetesClient client) {
    return direct(client, new ClusterReads(client));
  }

  static ClusterReconciliation direct(KubernetesClient client, ClusterReads reads) {
    return new ClusterReconciliation(
        client,
        reads,
        new ElectionObserver(key -> {}, Clock.systemUTC()),
        OperatorMetrics.discarding(),
        Clock.systemUTC(),
        null,
        // Posted in the pass, so that a test counting a pass's requests counts its events too.
        dev.operator.lightning.reconcile.EventSender.IN_PASS);
  }
}
