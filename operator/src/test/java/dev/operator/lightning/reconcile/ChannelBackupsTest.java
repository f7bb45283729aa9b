package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChannelBackupsTest {
  static Stream<Arguments> exports() {
    List<String> ab = List.of("aa:0", "bb:1");
    return Stream.of(
        // exported, kept -> replaces
        Arguments.of(ab, null, true),
        Arguments.of(ab, List.of("bb:1", "aa:0"), false),
        Arguments.of(ab, List.of("aa:0"), true),
        Arguments.of(List.of("aa:0"), ab, true),
        Arguments.of(List.of(), ab, false),
        Arguments.of(List.of(), null, false));
  }

  @ParameterizedTest
  @MethodSource("exports")
  void aBackupIsReplacedOnlyByOneForAnotherChannelSet(
      List<String> exported, List<String> kept, boolean replaces) {
    assertThat(ChannelBackups.replaces(exported, kept)).isEqualTo(replaces);
  }

  @Test
  void keptChannelPointsReadBackAsWritten() {
    String kept = ChannelBackups.format(List.of("bb:1", "aa:0"));
    assertThat(kept).isEqualTo("aa:0\nbb:1\n");
    assertThat(ChannelBackups.parse(kept)).containsExactly("aa:0", "bb:1");
  }
}
