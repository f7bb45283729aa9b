package dev.operator.lightning.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.Tools;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * docs/api-reference.md is generated from the CRD in crds/; this test fails when it drifts. {@code
 * make manifests} regenerates it (system property lnc.updateDocs=true).
 */
class ApiReferenceTest {
  /** Kubernetes' own types (affinity, resources, ...) are described upstream: not walked into. */
  static final Set<String> FOREIGN =
      Set.of(
          "affinity",
          "resources",
          "tolerations",
          "conditions",
          "nodeSelector",
          "annotations",
          "apiClients");

  @Test
  void apiReferenceMatchesTheCrd() throws Exception {
    Path root = Tools.locate().repoRoot();
    CustomResourceDefinition crd =
        Serialization.unmarshal(
            Files.readString(root.resolve("crds/lightningclusters.lightning.operator.dev-v1.yml")),
            CustomResourceDefinition.class);
    String generated = render(crd);
    Path doc = root.resolve("docs/api-reference.md");
    if (Boolean.getBoolean("lnc.updateDocs")) {
      Files.writeString(doc, generated);
    }
    assertThat(Files.readString(doc))
        .as("docs/api-reference.md drifted from the CRD: run `make manifests`")
        .isEqualTo(generated);
  }

  static String render(CustomResourceDefinition crd) {
    var v = crd.getSpec().getVersions().get(0);
    StringBuilder b = new StringBuilder();
    b.append("# API reference: ").append(crd.getSpec().getNames().getKind()).append("\n\n");
    b.append("Generated from `crds/` by `make manifests`; do not edit by hand.\n\n");
    b.append("- Group/version: `")
        .append(crd.getSpec().getGroup())
        .append('/')
        .append(v.getName())
        .append("`\n");
    b.append("- Kind: `")
        .append(crd.getSpec().getNames().getKind())
        .append("`, plural `")
        .append(crd.getSpec().getNames().getPlural())
        .append("`, short name `")
        .append(String.join("`, `", crd.getSpec().getNames().getShortNames()))
        .append("`\n");
    b.append("- Print columns: ");
    v.getAdditionalPrinterColumns()
        .forEach(
            c ->
                b.append('`')
                    .append(c.getName())
                    .append("` (")
                    .append(c.getJsonPath())
                    .append(") "));
    b.append("\n\n");
    JSONSchemaProps root = v.getSchema().getOpenAPIV3Schema();
    for (String top : new String[] {"spec", "status"}) {
      JSONSchemaProps node = root.getProperties().get(top);
      b.append("## ").append(top).append("\n\n");
      rules(b, node);
      b.append("| field | type | default | description |\n|---|---|---|---|\n");
      walk(b, top, node);
      b.append('\n');
    }
    return b.toString();
  }

  private static void walk(StringBuilder b, String path, JSONSchemaProps node) {
    if (node.getProperties() == null) {
      return;
    }
    node.getProperties()
        .forEach(
            (name, child) -> {
              String p = path + "." + name;
              String type = child.getType() == null ? "object" : child.getType();
              if ("array".equals(type)
                  && child.getItems() != null
                  && child.getItems().getSchema() != null
                  && child.getItems().getSchema().getType() != null) {
                type = "[]" + child.getItems().getSchema().getType();
              }
              if (child.getEnum() != null && !child.getEnum().isEmpty()) {
                type +=
                    " ("
                        + String.join(", ", child.getEnum().stream().map(e -> e.asText()).toList())
                        + ")";
              }
              if (child.getMinimum() != null || child.getMaximum() != null) {
                type +=
                    " ["
                        + (child.getMinimum() == null ? "" : child.getMinimum().longValue())
                        + ".."
                        + (child.getMaximum() == null ? "" : child.getMaximum().longValue())
                        + "]";
              }
              String def =
                  child.getDefault() == null
                      ? ""
                      : "`" + child.getDefault().toString().replace("\"", "") + "`";
              String desc =
                  child.getDescription() == null
                      ? ""
                      : child.getDescription().replace("|", "\\|").replace("\n", " ");
              b.append("| `")
                  .append(p)
                  .append("` | ")
                  .append(type)
                  .append(" | ")
                  .append(def)
                  .append(" | ")
                  .append(desc)
                  .append(" |\n");
              if (child.getXKubernetesValidations() != null) {
                child
                    .getXKubernetesValidations()
                    .forEach(
                        r ->
                            b.append("| | | | rule: ")
                                .append(r.getMessage().replace("|", "\\|"))
                                .append(" |\n"));
              }
              if (!FOREIGN.contains(name)) {
                walk(b, p, child);
                if (child.getItems() != null && child.getItems().getSchema() != null) {
                  walk(b, p + "[]", child.getItems().getSchema());
                }
              }
            });
  }

  private static void rules(StringBuilder b, JSONSchemaProps node) {
    if (node.getXKubernetesValidations() != null && !node.getXKubernetesValidations().isEmpty()) {
      b.append("Rules checked at apply time:\n\n");
      node.getXKubernetesValidations()
          .forEach(r -> b.append("- ").append(r.getMessage()).append('\n'));
      b.append('\n');
    }
  }
}
