package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.reconcile.StalledLinks.Channel;
import dev.operator.lightning.reconcile.UnconnectedPeers.Decision;
import dev.operator.lightning.reconcile.UnconnectedPeers.Memory;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UnconnectedPeersTest {
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
  private static final long GRACE = UnconnectedPeers.GRACE.toSeconds();
  private static final String BOB = "02b0b";
  private static final String CAROL = "03ca7";
  private static final Channel TO_BOB_DOWN = new Channel("aa:0", BOB, false);
  private static final Channel TO_BOB_UP = new Channel("aa:0", BOB, true);
  private static final Channel TO_BOB_2_DOWN = new Channel("bb:1", BOB, false);
  private static final Channel TO_CAROL_DOWN = new Channel("cc:0", CAROL, false);

  /** The same view pass after pass, at these seconds, from {@code memory}. */
  private static Decision after(
      Memory memory, long[] seconds, List<Channel> channels, Set<String> peers) {
    Decision d = null;
    for (long s : seconds) {
      d = at(memory, s, channels, peers);
      memory = d.memory();
    }
    return d;
  }

  private static Decision at(Memory memory, long s, List<Channel> channels, Set<String> peers) {
    return UnconnectedPeers.decide("alice-0", channels, peers, memory, T0.plusSeconds(s));
  }

  @Test
  void aPeerAwayShorterThanTheGraceIsLeftToLnd() {
    Decision d = after(Memory.none(), new long[] {0, 2, GRACE - 1}, List.of(TO_BOB_DOWN), Set.of());
    assertThat(d.dial()).isEmpty();
    assertThat(d.look()).isEqualTo(StalledLinks.LOOK);
    assertThat(d.memory().unconnectedSince()).containsEntry("aa:0", T0);
  }

  @Test
  void aPeerAwayForTheGraceIsDialledWithEachOfItsInactiveChannels() {
    Decision d =
        after(
            Memory.none(),
            new long[] {0, 2, GRACE},
            List.of(TO_BOB_DOWN, TO_BOB_2_DOWN, TO_CAROL_DOWN),
            Set.of(CAROL));
    assertThat(d.dial()).containsExactly(BOB);
    assertThat(d.unconnected()).containsExactlyInAnyOrder("aa:0", "bb:1");
    assertThat(d.memory().dialledFor()).containsExactlyInAnyOrder("aa:0", "bb:1");
  }

  @Test
  void aConnectedPeerIsNeverDialled() {
    Decision d =
        after(Memory.none(), new long[] {0, GRACE, 3 * GRACE}, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.dial()).isEmpty();
    assertThat(d.look()).isNull();
    assertThat(d.memory().holdsAnything()).isFalse();
  }

  @Test
  void anActiveChannelIsNeverDialledFor() {
    Decision d =
        after(Memory.none(), new long[] {0, GRACE, 3 * GRACE}, List.of(TO_BOB_UP), Set.of());
    assertThat(d.dial()).isEmpty();
    assertThat(d.look()).isNull();
  }

  @Test
  void aPeerThatComesBackWithinTheGraceStartsTheCountAgain() {
    Memory m =
        after(Memory.none(), new long[] {0, GRACE - 1}, List.of(TO_BOB_DOWN), Set.of()).memory();
    m = at(m, GRACE, List.of(TO_BOB_DOWN), Set.of(BOB)).memory();
    Decision d = at(m, GRACE + 1, List.of(TO_BOB_DOWN), Set.of());
    assertThat(d.dial()).isEmpty();
    assertThat(d.memory().unconnectedSince()).containsEntry("aa:0", T0.plusSeconds(GRACE + 1));
  }

  @Test
  void aPeerTheDialDidNotBringBackIsReportedOnceAndNotDialledAgain() {
    Memory m = after(Memory.none(), new long[] {0, GRACE}, List.of(TO_BOB_DOWN), Set.of()).memory();
    Decision d = after(m, new long[] {GRACE + 2, 2 * GRACE + 2}, List.of(TO_BOB_DOWN), Set.of());
    assertThat(d.dial()).isEmpty();
    assertThat(d.unreached()).containsExactly("aa:0");
    assertThat(d.look()).isNull();
    Decision later =
        after(d.memory(), new long[] {5 * GRACE, 9 * GRACE}, List.of(TO_BOB_DOWN), Set.of());
    assertThat(later.dial()).isEmpty();
    assertThat(later.unreached()).isEmpty();
  }

  @Test
  void aPeerThatConnectsAfterTheDialIsForgottenAndMayBeDialledInANewStall() {
    Memory m = after(Memory.none(), new long[] {0, GRACE}, List.of(TO_BOB_DOWN), Set.of()).memory();
    m = at(m, GRACE + 2, List.of(TO_BOB_UP), Set.of(BOB)).memory();
    assertThat(m.holdsAnything()).isFalse();
    Decision d = after(m, new long[] {100, 100 + GRACE}, List.of(TO_BOB_DOWN), Set.of());
    assertThat(d.dial()).containsExactly(BOB);
  }

  @Test
  void aPeerThatConnectsAfterTheDialButWhoseChannelStaysDownIsNotDialledAgain() {
    Memory m = after(Memory.none(), new long[] {0, GRACE}, List.of(TO_BOB_DOWN), Set.of()).memory();
    // Back, yet the channel stays down (StalledLinks' case), then away again.
    m = at(m, GRACE + 2, List.of(TO_BOB_DOWN), Set.of(BOB)).memory();
    Decision d =
        after(m, new long[] {GRACE + 4, 2 * GRACE + 4, 5 * GRACE}, List.of(TO_BOB_DOWN), Set.of());
    assertThat(d.dial()).isEmpty();
    assertThat(
            after(m, new long[] {GRACE + 4, 2 * GRACE + 4}, List.of(TO_BOB_DOWN), Set.of())
                .unreached())
        .containsExactly("aa:0");
  }

  @Test
  void givingUpOnAChannelNeedsNoDialToWaitFor() {
    Memory m =
        after(Memory.none(), new long[] {0, GRACE}, List.of(TO_BOB_DOWN), Set.of())
            .memory()
            .givingUp(List.of("aa:0"));
    Decision d = after(m, new long[] {GRACE + 2, 3 * GRACE}, List.of(TO_BOB_DOWN), Set.of());
    assertThat(d.dial()).isEmpty();
    assertThat(d.unreached()).isEmpty();
    assertThat(d.memory().unreached()).containsExactly("aa:0");
  }

  @Test
  void anUnreachedChannelIsDialledForAgainUnderANewLeader() {
    Memory m =
        after(
                Memory.none(),
                new long[] {0, GRACE, GRACE + 2, 2 * GRACE + 2},
                List.of(TO_BOB_DOWN),
                Set.of())
            .memory();
    assertThat(m.unreached()).containsExactly("aa:0");
    Decision d =
        UnconnectedPeers.decide("alice-1", List.of(TO_BOB_DOWN), Set.of(), m, T0.plusSeconds(100));
    d =
        UnconnectedPeers.decide(
            "alice-1", List.of(TO_BOB_DOWN), Set.of(), d.memory(), T0.plusSeconds(100 + GRACE));
    assertThat(d.dial()).containsExactly(BOB);
  }

  @Test
  void aClosedChannelLeavesNothingBehind() {
    Memory m = after(Memory.none(), new long[] {0, GRACE}, List.of(TO_BOB_DOWN), Set.of()).memory();
    Decision d = at(m, GRACE + 2, List.of(), Set.of());
    assertThat(d.memory().holdsAnything()).isFalse();
    assertThat(d.look()).isNull();
  }
}
