package dev.operator.lightning.it;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.harness.ControlPlane;
import dev.operator.lightning.harness.Namespaces;
import dev.operator.lightning.harness.Tools;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The shared real kube-apiserver with the committed CRD installed, and per-test namespaces. */
public final class ApiServerSupport {
  private static final AtomicInteger NAMESPACES = new AtomicInteger();
  private static KubernetesClient client;

  private ApiServerSupport() {}

  public static synchronized KubernetesClient client() {
    if (client == null) {
      client = ControlPlane.shared().newClient();
      installCrd(client);
    }
    return client;
  }

  public static Path crdFile() {
    return Tools.locate()
        .repoRoot()
        .resolve("crds/lightningclusters.lightning.operator.dev-v1.yml");
  }

  /** Installs the committed CRD and waits until the API serves it. */
  public static void installCrd(KubernetesClient c) {
    CustomResourceDefinition crd;
    try {
      crd = Serialization.unmarshal(Files.readString(crdFile()), CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    c.resource(crd).serverSideApply();
    await()
        .atMost(Duration.ofSeconds(30))
        .alias("CRD established")
        .until(
            () -> {
              CustomResourceDefinition live = c.resource(crd).get();
              // A loaded API server can publish the status before its conditions.
              return live.getStatus() != null
                  && live.getStatus().getConditions() != null
                  && live.getStatus().getConditions().stream()
                      .anyMatch(
                          x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
            });
    // The discovery of the new type can lag the Established condition a little.
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> c.resources(LightningCluster.class).inAnyNamespace().list() != null);
  }

  /**
   * A fresh namespace enforcing Pod Security {@code restricted}, so tests never see each other's
   * objects.
   */
  public static String newNamespace(String prefix) {
    return newNamespace(client(), prefix);
  }

  /** The same on another API server (a benchmark's own). */
  public static String newNamespace(KubernetesClient k8s, String prefix) {
    String name = prefix + "-" + NAMESPACES.incrementAndGet();
    k8s.resource(Namespaces.restricted(name)).create();
    return name;
  }
}
