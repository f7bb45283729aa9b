package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ImageTableTest {
  private final ImageTable table =
      new ImageTable(
          List.of(
              new ImageTable.Image(
                  Pattern.compile("^(docker\\.io/)?lightninglabs/lnd(:[^/]*)?$"),
                  Map.of(
                      "lnd", () -> Path.of("/tools/lnd"), "lncli", () -> Path.of("/tools/lncli")),
                  "lnd")));

  @Test
  void mapsTheDeclaredCommandOrTheEntrypointToTheLocalBinary() {
    assertThat(table.binaryFor("lightninglabs/lnd:v0.21.3-beta", List.of("lnd")))
        .isEqualTo(Path.of("/tools/lnd"));
    assertThat(
            table.binaryFor("docker.io/lightninglabs/lnd:v0.21.3-beta", List.of("/bin/lncli", "x")))
        .isEqualTo(Path.of("/tools/lncli"));
    assertThat(table.binaryFor("lightninglabs/lnd", List.of())).isEqualTo(Path.of("/tools/lnd"));
  }

  @Test
  void refusesImagesAndCommandsItCannotRun() {
    assertThatThrownBy(() -> table.binaryFor("busybox:1.36", List.of("sh")))
        .hasMessageContaining("image busybox:1.36 has no local binary");
    assertThatThrownBy(() -> table.binaryFor("lightninglabs/lnd:v0.21.3-beta", List.of("sh")))
        .hasMessageContaining("has no binary sh");
  }
}
