package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.ControlPlane;
import dev.operator.lightning.harness.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real kubectl and helm binaries against the test control plane. */
final class Kubectl {
  private static Path kubeconfig;

  private Kubectl() {}

  static synchronized Path kubeconfig() {
    if (kubeconfig == null) {
      ApiServerSupport.client();
      try {
        kubeconfig =
            ControlPlane.shared().writeKubeconfig(Files.createTempFile("kubectl", ".kubeconfig"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return kubeconfig;
  }

  /** Runs kubectl with the test kubeconfig; fails with its output unless it exits 0. */
  static String kubectl(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Tools.locate().binary("kubectl").toString(),
                "--kubeconfig",
                kubeconfig().toString()));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  static String helm(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Tools.locate().helm().toString()));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  static String run(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
      assertThat(p.exitValue()).as("%s exited with:%n%s", String.join(" ", cmd), out).isZero();
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Path chart() {
    return Tools.locate().repoRoot().resolve("helm/lightning-operator");
  }

  /** Writes text to a temporary file, for `kubectl apply -f`. */
  static Path file(String text) {
    try {
      Path f = Files.createTempFile("rendered", ".yaml");
      Files.writeString(f, text);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
