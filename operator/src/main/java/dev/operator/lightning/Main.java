package dev.operator.lightning;

import dev.operator.lightning.reconcile.ClusterReconciliation;
import dev.operator.lightning.reconcile.LightningClusterReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the operator against the current kubeconfig (or the in-cluster service account).
 * WATCH_NAMESPACES (comma-separated) limits it to some namespaces; empty watches all.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    KubernetesClient client = new KubernetesClientBuilder().build();
    Operator operator = start(client, watchNamespaces(System.getenv("WATCH_NAMESPACES")));
    Runtime.getRuntime().addShutdownHook(new Thread(operator::stop, "operator-stop"));
    log.info("lightning operator started against {}", client.getMasterUrl());
  }

  /** Builds, registers and starts the operator; the caller stops it. */
  public static Operator start(KubernetesClient client, Set<String> namespaces) {
    Operator operator =
        new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(false));
    operator.register(
        new LightningClusterReconciler(new ClusterReconciliation(client, Clock.systemUTC())),
        o -> {
          if (!namespaces.isEmpty()) {
            o.settingNamespaces(namespaces);
          }
        });
    operator.start();
    return operator;
  }

  static Set<String> watchNamespaces(String value) {
    if (value == null || value.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(value.split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toSet());
  }
}
