package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The operator's list of lnd options is the one the pinned lnd prints: a new lnd version that adds
 * an option in an owned family (db.*, cluster.*, ...) cannot slip past the check. To update: {@code
 * make tools}, then copy {@code options.tsv} from the tools folder into
 * operator/src/main/resources/lnd-options.tsv below its header.
 */
class LndOptionsDriftTest {
  @Test
  void theOperatorsListIsThePinnedLndsOwn() throws IOException {
    List<String> built =
        Files.readAllLines(Tools.locate().lndOptions()).stream()
            .filter(l -> !l.startsWith("#") && !l.isBlank())
            .toList();
    List<String> ours;
    try (InputStream in = LndOptions.class.getResourceAsStream(LndOptions.RESOURCE)) {
      ours =
          new String(in.readAllBytes(), StandardCharsets.UTF_8)
              .lines()
              .filter(l -> !l.startsWith("#") && !l.isBlank())
              .toList();
    }
    assertThat(ours).as("operator/src/main/resources/lnd-options.tsv").isEqualTo(built);
    assertThat(LndOptions.all()).hasSize(built.size());
  }
}
