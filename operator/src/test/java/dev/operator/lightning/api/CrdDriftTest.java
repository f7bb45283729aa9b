package dev.operator.lightning.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.Tools;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** crds/ is what users install; it must be exactly what the API classes generate. */
class CrdDriftTest {
  private static final String FILE = "lightningclusters.lightning.operator.dev-v1.yml";

  @Test
  void committedCrdEqualsTheGeneratedOne() throws Exception {
    Path generated = Path.of("target/classes/META-INF/fabric8").resolve(FILE);
    Path committed = Tools.locate().repoRoot().resolve("crds").resolve(FILE);
    assertThat(generated).exists();
    assertThat(Files.readString(committed))
        .as("crds/%s is out of date: run `make manifests` and commit the result", FILE)
        .isEqualTo(Files.readString(generated));
  }

  @Test
  void everyOwnFieldHasADescriptionForKubectlExplain() throws Exception {
    String yaml = Files.readString(Tools.locate().repoRoot().resolve("crds").resolve(FILE));
    CustomResourceDefinition crd = Serialization.unmarshal(yaml, CustomResourceDefinition.class);
    JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    List<String> missing = new ArrayList<>();
    walk("spec", root.getProperties().get("spec"), missing);
    walk("status", root.getProperties().get("status"), missing);
    assertThat(missing).as("fields without a description").isEmpty();
  }

  private static void walk(String path, JSONSchemaProps node, List<String> missing) {
    if (node.getProperties() == null) {
      return;
    }
    node.getProperties()
        .forEach(
            (name, child) -> {
              String p = path + "." + name;
              if (child.getDescription() == null || child.getDescription().isBlank()) {
                missing.add(p);
              }
              if (!ApiReferenceTest.FOREIGN.contains(name)) {
                walk(p, child, missing);
                if (child.getItems() != null && child.getItems().getSchema() != null) {
                  walk(p + "[]", child.getItems().getSchema(), missing);
                }
              }
            });
  }
}
