package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ChannelPeerAddressesTest {
  @Test
  void formatAndParseRoundTripSorted() {
    Map<String, String> addresses = Map.of("03ca7", "10.0.0.7:9735", "02b0b", "bob.ns.svc:9735");
    String kept = ChannelPeerAddresses.format(addresses);
    assertThat(kept).isEqualTo("02b0b@bob.ns.svc:9735\n03ca7@10.0.0.7:9735\n");
    assertThat(ChannelPeerAddresses.parse(kept)).isEqualTo(addresses);
  }

  @Test
  void parseSkipsWhatIsNotAnAddressLine() {
    assertThat(ChannelPeerAddresses.parse(null)).isEmpty();
    assertThat(ChannelPeerAddresses.parse("junk\n@10.0.0.1:9735\n02b0b@\n 02b0b@[::1]:9735 \n"))
        .containsExactly(Map.entry("02b0b", "[::1]:9735"));
  }

  @Test
  void aNewDialledAddressReplacesTheKeptOneAndOthersStay() {
    Map<String, String> kept = Map.of("02b0b", "10.0.0.5:9735", "03ca7", "10.0.0.7:9735");
    assertThat(ChannelPeerAddresses.merge(kept, Map.of("02b0b", "10.0.0.6:9735", "04d", "")))
        .containsExactly(Map.entry("02b0b", "10.0.0.6:9735"), Map.entry("03ca7", "10.0.0.7:9735"));
  }
}
