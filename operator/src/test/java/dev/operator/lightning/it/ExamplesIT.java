package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.ControlPlane;
import dev.operator.lightning.harness.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every example is accepted by the real API server, through the real kubectl. */
class ExamplesIT {
  private static Path kubeconfig;

  @BeforeAll
  static void kubeconfig() throws IOException {
    ApiServerSupport.client();
    kubeconfig =
        ControlPlane.shared().writeKubeconfig(Files.createTempFile("examples", ".kubeconfig"));
  }

  static Stream<Path> examples() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(Tools.locate().repoRoot().resolve("manifests/examples"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(3);
    return files.stream();
  }

  @ParameterizedTest
  @MethodSource("examples")
  void serverSideDryRunAccepts(Path example) throws Exception {
    Process p =
        new ProcessBuilder(
                Tools.locate().binary("kubectl").toString(),
                "--kubeconfig",
                kubeconfig.toString(),
                "apply",
                "--dry-run=server",
                "-n",
                "default",
                "-f",
                example.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("kubectl apply --dry-run=server %s:%n%s", example, out).isZero();
    assertThat(out).contains("lightningcluster.lightning.operator.dev/");
  }
}
