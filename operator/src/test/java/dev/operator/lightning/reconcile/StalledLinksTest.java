package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.reconcile.StalledLinks.Channel;
import dev.operator.lightning.reconcile.StalledLinks.Decision;
import dev.operator.lightning.reconcile.StalledLinks.Memory;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StalledLinksTest {
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
  private static final String BOB = "02b0b";
  private static final String CAROL = "03ca7";
  private static final Channel TO_BOB_DOWN = new Channel("aa:0", BOB, false);
  private static final Channel TO_BOB_UP = new Channel("aa:0", BOB, true);
  private static final Channel TO_BOB_2_DOWN = new Channel("bb:1", BOB, false);
  private static final Channel TO_CAROL_DOWN = new Channel("cc:0", CAROL, false);

  /** The same view pass after pass, {@code seconds} apart, from {@code memory}. */
  private static Decision after(
      Memory memory, long[] seconds, List<Channel> channels, Set<String> peers) {
    Decision d = null;
    for (long s : seconds) {
      d = StalledLinks.decide("alice-0", channels, peers, memory, T0.plusSeconds(s));
      memory = d.memory();
    }
    return d;
  }

  private static Decision at(Memory memory, long s, List<Channel> channels, Set<String> peers) {
    return StalledLinks.decide("alice-0", channels, peers, memory, T0.plusSeconds(s));
  }

  @Test
  void aStallFirstSeenIsWatchedNotActedOn() {
    Decision d = at(Memory.none(), 0, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.reconnect()).isEmpty();
    assertThat(d.look()).isEqualTo(StalledLinks.LOOK);
    assertThat(d.memory().stalledSince()).containsEntry("aa:0", T0);
  }

  @Test
  void aStallShorterThanTheGraceIsLeftToLnd() {
    Decision d =
        after(
            Memory.none(),
            new long[] {0, 2, 4, StalledLinks.GRACE.toSeconds() - 1},
            List.of(TO_BOB_DOWN),
            Set.of(BOB));
    assertThat(d.reconnect()).isEmpty();
    assertThat(d.look()).isNotNull();
  }

  @Test
  void aStallPastTheGraceReconnectsThePeer() {
    Decision d =
        after(
            Memory.none(),
            new long[] {0, 5, StalledLinks.GRACE.toSeconds()},
            List.of(TO_BOB_DOWN),
            Set.of(BOB));
    assertThat(d.reconnect()).containsExactly(BOB);
    assertThat(d.stalled()).containsExactly("aa:0");
    assertThat(d.memory().reconnectedFor()).containsExactly("aa:0");
  }

  @Test
  void anInactiveChannelWhosePeerIsAwayIsNotStalled() {
    // lnd reconnects an away peer itself; only a connected peer with a dead link is stuck.
    Decision d =
        after(Memory.none(), new long[] {0, 10, 20, 60}, List.of(TO_BOB_DOWN), Set.of(CAROL));
    assertThat(d.reconnect()).isEmpty();
    assertThat(d.look()).isNull();
    assertThat(d.memory().holdsAnything()).isFalse();
  }

  @Test
  void anActiveChannelIsNotStalled() {
    Decision d = after(Memory.none(), new long[] {0, 60}, List.of(TO_BOB_UP), Set.of(BOB));
    assertThat(d.reconnect()).isEmpty();
    assertThat(d.look()).isNull();
  }

  @Test
  void aLinkThatCameUpInBetweenStartsTheCountAgain() {
    Decision d = after(Memory.none(), new long[] {0, 10}, List.of(TO_BOB_DOWN), Set.of(BOB));
    d = at(d.memory(), 12, List.of(TO_BOB_UP), Set.of(BOB));
    d = at(d.memory(), 14, List.of(TO_BOB_DOWN), Set.of(BOB));
    d = at(d.memory(), 14 + StalledLinks.GRACE.toSeconds() - 1, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.reconnect()).isEmpty();
    d = at(d.memory(), 14 + StalledLinks.GRACE.toSeconds(), List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.reconnect()).containsExactly(BOB);
  }

  @Test
  void aNewLeaderStartsItsLinksAfresh() {
    Decision d = after(Memory.none(), new long[] {0, 10}, List.of(TO_BOB_DOWN), Set.of(BOB));
    Decision next =
        StalledLinks.decide(
            "alice-1",
            List.of(TO_BOB_DOWN),
            Set.of(BOB),
            d.memory(),
            T0.plus(StalledLinks.GRACE).plusSeconds(5));
    assertThat(next.reconnect()).isEmpty();
    assertThat(next.memory().leader()).isEqualTo("alice-1");
    assertThat(next.memory().stalledSince())
        .containsEntry("aa:0", T0.plus(StalledLinks.GRACE).plusSeconds(5));
  }

  @Test
  void aChannelTheReconnectDidNotBringUpIsGivenUpOnceNotReconnectedInALoop() {
    long grace = StalledLinks.GRACE.toSeconds();
    Decision d = after(Memory.none(), new long[] {0, grace}, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.reconnect()).containsExactly(BOB);
    // The peer is back and the channel stays down for a whole grace after the reconnect.
    d = after(d.memory(), new long[] {grace + 2, 2 * grace + 2}, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.reconnect()).isEmpty();
    assertThat(d.refused()).containsExactly("aa:0");
    // Reported once, then left alone: no reconnect, no quick look, however long it lasts.
    d =
        after(
            d.memory(), new long[] {2 * grace + 4, 10 * grace}, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.reconnect()).isEmpty();
    assertThat(d.refused()).isEmpty();
    assertThat(d.look()).isNull();
  }

  @Test
  void aLinkThatComesUpWithinTheGraceAfterTheReconnectIsNotGivenUpOn() {
    long grace = StalledLinks.GRACE.toSeconds();
    Decision d = after(Memory.none(), new long[] {0, grace}, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.reconnect()).containsExactly(BOB);
    // Still reestablishing on the next pass, 2 s after the reconnect: counted afresh.
    d = at(d.memory(), grace + 2, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.refused()).isEmpty();
    assertThat(d.look()).isEqualTo(StalledLinks.LOOK);
    d = at(d.memory(), grace + 3, List.of(TO_BOB_UP), Set.of(BOB));
    assertThat(d.memory().holdsAnything()).isFalse();
  }

  @Test
  void aChannelSeenActiveAgainIsReconnectedForOnItsNextStall() {
    long grace = StalledLinks.GRACE.toSeconds();
    Decision d = after(Memory.none(), new long[] {0, grace}, List.of(TO_BOB_DOWN), Set.of(BOB));
    d = after(d.memory(), new long[] {grace + 2, 2 * grace + 2}, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.refused()).containsExactly("aa:0");
    d = at(d.memory(), 3 * grace, List.of(TO_BOB_UP), Set.of(BOB));
    d =
        after(
            d.memory(),
            new long[] {3 * grace + 1, 4 * grace + 1},
            List.of(TO_BOB_DOWN),
            Set.of(BOB));
    assertThat(d.reconnect()).containsExactly(BOB);
  }

  @Test
  void aGivenUpChannelDoesNotStopTheReconnectForAnotherOfThePeersChannels() {
    long grace = StalledLinks.GRACE.toSeconds();
    Decision d = after(Memory.none(), new long[] {0, grace}, List.of(TO_BOB_DOWN), Set.of(BOB));
    d = after(d.memory(), new long[] {grace + 2, 2 * grace + 2}, List.of(TO_BOB_DOWN), Set.of(BOB));
    assertThat(d.refused()).containsExactly("aa:0");
    d =
        after(
            d.memory(),
            new long[] {2 * grace + 4, 3 * grace + 4},
            List.of(TO_BOB_DOWN, TO_BOB_2_DOWN),
            Set.of(BOB));
    assertThat(d.reconnect()).containsExactly(BOB);
    assertThat(d.stalled()).containsExactly("bb:1");
  }

  @Test
  void onePeerWithTwoStalledChannelsIsReconnectedOnce() {
    Decision d = at(Memory.none(), 0, List.of(TO_BOB_DOWN), Set.of(BOB));
    d =
        after(
            d.memory(),
            new long[] {5, StalledLinks.GRACE.toSeconds()},
            List.of(TO_BOB_DOWN, TO_BOB_2_DOWN),
            Set.of(BOB));
    assertThat(d.reconnect()).containsExactly(BOB);
    assertThat(d.stalled()).containsExactlyInAnyOrder("aa:0", "bb:1");
  }

  @Test
  void eachStalledPeerIsReconnected() {
    Decision d =
        after(
            Memory.none(),
            new long[] {0, StalledLinks.GRACE.toSeconds()},
            List.of(TO_CAROL_DOWN, TO_BOB_DOWN),
            Set.of(BOB, CAROL));
    assertThat(d.reconnect()).containsExactly(BOB, CAROL);
  }

  @Test
  void noPeerInSightForgetsTheStallsButNotWhatWasReconnectedFor() {
    Decision d =
        after(
            Memory.none(),
            new long[] {0, StalledLinks.GRACE.toSeconds()},
            List.of(TO_BOB_DOWN),
            Set.of(BOB));
    d = at(d.memory(), StalledLinks.GRACE.toSeconds() + 1, List.of(), Set.of());
    assertThat(d.memory().stalledSince()).isEmpty();
    assertThat(d.memory().reconnectedFor()).containsExactly("aa:0");
    assertThat(d.look()).isNull();
  }
}
