package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chart lints, renders, and everything it renders is accepted by the real API server. */
class HelmChartIT {
  private static final String CRD = "lightningclusters.lightning.operator.dev-v1.yml";

  @Test
  void lintsCleanly() {
    assertThat(Kubectl.helm("lint", "--strict", Kubectl.chart().toString()))
        .contains("0 chart(s) failed");
  }

  @Test
  void theChartShipsExactlyTheCrdInCrds() throws Exception {
    Path root = Tools.locate().repoRoot();
    assertThat(Files.readString(Kubectl.chart().resolve("crds").resolve(CRD)))
        .as("helm/lightning-operator/crds/%s drifted from crds/: run `make manifests`", CRD)
        .isEqualTo(Files.readString(root.resolve("crds").resolve(CRD)));
  }

  @Test
  void installYamlIsWhatTheChartRenders() throws Exception {
    Path root = Tools.locate().repoRoot();
    String rendered =
        Kubectl.run(
            List.of(
                root.resolve("scripts/render-install.sh").toString(),
                Tools.locate().helm().toString()));
    assertThat(Files.readString(root.resolve("manifests/install.yaml")))
        .as("manifests/install.yaml drifted from the chart: run `make manifests`")
        .isEqualTo(rendered);
  }

  @Test
  void renderedObjectsAreCreatedByTheRealApiServer() {
    String ns = ApiServerSupport.newNamespace("chart");
    String watched = ApiServerSupport.newNamespace("chart-watched");
    for (List<String> values :
        List.of(List.<String>of(), List.of("--set", "watchNamespaces[0]=" + watched))) {
      String release = values.isEmpty() ? "all-namespaces" : "one-namespace";
      List<String> cmd =
          new java.util.ArrayList<>(
              List.of("template", release, Kubectl.chart().toString(), "--namespace", ns));
      cmd.addAll(values);
      String yaml = Kubectl.helm(cmd.toArray(String[]::new));
      String out = Kubectl.kubectl("apply", "--server-side", "-f", Kubectl.file(yaml).toString());
      assertThat(out)
          .contains(
              "deployment.apps/" + release + "-lightning-operator serverside-applied",
              "clusterrole.rbac.authorization.k8s.io/"
                  + release
                  + "-lightning-operator serverside-applied",
              "role.rbac.authorization.k8s.io/"
                  + release
                  + "-lightning-operator-leader-election serverside-applied");
    }
    var deployment =
        ApiServerSupport.client()
            .apps()
            .deployments()
            .inNamespace(ns)
            .withName("all-namespaces-lightning-operator")
            .get();
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem())
        .isTrue();
    assertThat(pod.getContainers().get(0).getSecurityContext().getAllowPrivilegeEscalation())
        .isFalse();
    assertThat(
            ApiServerSupport.client()
                .rbac()
                .roleBindings()
                .inNamespace(watched)
                .withName("one-namespace-lightning-operator")
                .get())
        .as("rules bound only in the watched namespace")
        .isNotNull();
    assertThat(
            ApiServerSupport.client()
                .rbac()
                .clusterRoleBindings()
                .withName("one-namespace-lightning-operator")
                .get())
        .isNull();
  }

  @Test
  void valuesAreValidatedBySchema() {
    Process p;
    try {
      p =
          new ProcessBuilder(
                  Tools.locate().helm().toString(),
                  "template",
                  "x",
                  Kubectl.chart().toString(),
                  "--set",
                  "replicas=0")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      assertThat(p.exitValue()).isNotZero();
      assertThat(out).contains("replicas");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
