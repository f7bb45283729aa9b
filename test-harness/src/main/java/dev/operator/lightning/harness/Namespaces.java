package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;

/**
 * Namespaces of the tests enforce the Pod Security Standard {@code restricted}, as security-minded
 * users' namespaces do: the real API server's PodSecurity admission refuses any pod that does not
 * meet it, so a builder that loses a security setting fails the tests.
 */
public final class Namespaces {
  public static final String ENFORCE = "pod-security.kubernetes.io/enforce";

  private Namespaces() {}

  public static Namespace restricted(String name) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(ENFORCE, "restricted")
        .addToLabels(ENFORCE + "-version", "latest")
        .endMetadata()
        .build();
  }
}
