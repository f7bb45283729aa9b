package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.NodeStatus;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NodeFiguresTest {
  private static final Instant SHOWN_AT = Instant.parse("2026-12-06T10:00:00Z");

  private static NodeStatus shown() {
    NodeStatus n = new NodeStatus();
    n.identityPubkey = "02ab";
    n.alias = "alice";
    n.syncedToChain = true;
    n.syncedToGraph = true;
    n.blockHeight = 870_000L;
    n.peers = 8;
    n.activeChannels = 5;
    n.inactiveChannels = 1;
    n.pendingChannels = 0;
    n.readFrom = "alice-0";
    n.readAt = SHOWN_AT.toString();
    return n;
  }

  static Stream<Arguments> readings() {
    return Stream.of(
        // what changed in the reading, seconds after the shown one -> the reading is shown
        Arguments.of("nothing", (Consumer<NodeStatus>) n -> {}, 10, false),
        Arguments.of("a block", (Consumer<NodeStatus>) n -> n.blockHeight++, 10, false),
        Arguments.of("a block", (Consumer<NodeStatus>) n -> n.blockHeight++, 299, false),
        Arguments.of("a block", (Consumer<NodeStatus>) n -> n.blockHeight++, 300, true),
        Arguments.of("a peer", (Consumer<NodeStatus>) n -> n.peers--, 10, false),
        Arguments.of("a peer", (Consumer<NodeStatus>) n -> n.peers--, 600, true),
        Arguments.of("nothing", (Consumer<NodeStatus>) n -> {}, 600, false),
        Arguments.of("identity", (Consumer<NodeStatus>) n -> n.identityPubkey = "03cd", 10, true),
        Arguments.of("alias", (Consumer<NodeStatus>) n -> n.alias = "bob", 10, true),
        Arguments.of("chain sync", (Consumer<NodeStatus>) n -> n.syncedToChain = false, 10, true),
        Arguments.of("graph sync", (Consumer<NodeStatus>) n -> n.syncedToGraph = false, 10, true),
        Arguments.of("active", (Consumer<NodeStatus>) n -> n.activeChannels--, 10, true),
        Arguments.of("inactive", (Consumer<NodeStatus>) n -> n.inactiveChannels++, 10, true),
        Arguments.of("pending", (Consumer<NodeStatus>) n -> n.pendingChannels++, 10, true),
        Arguments.of("leader", (Consumer<NodeStatus>) n -> n.readFrom = "alice-1", 10, true));
  }

  @ParameterizedTest(name = "{0} after {2} s: shown {3}")
  @MethodSource("readings")
  void showsWhatAnOperatorActsOnAtOnceAndTheChainsFiguresEveryFiveMinutes(
      String change, Consumer<NodeStatus> edit, int afterSeconds, boolean replaced) {
    NodeStatus read = shown();
    read.readAt = null;
    edit.accept(read);
    Instant now = SHOWN_AT.plusSeconds(afterSeconds);

    NodeStatus settled = NodeFigures.settle(shown(), read, now);

    if (replaced) {
      assertThat(settled).usingRecursiveComparison().ignoringFields("readAt").isEqualTo(read);
      assertThat(settled.readAt).isEqualTo(now.toString());
      assertThat(read.readAt).as("the reading itself is left as read").isNull();
    } else {
      assertThat(settled).as("the status as shown, so the pass writes nothing").isEqualTo(shown());
    }
  }

  @ParameterizedTest(name = "shown read at {0}")
  @MethodSource("unreadableTimes")
  void figuresWithoutAReadableTimeAreRefreshed(String readAt) {
    NodeStatus old = shown();
    old.readAt = readAt;
    NodeStatus read = shown();
    read.blockHeight++;
    assertThat(NodeFigures.settle(old, read, SHOWN_AT).blockHeight).isEqualTo(870_001L);
  }

  static Stream<String> unreadableTimes() {
    return Stream.of(null, "yesterday");
  }

  @ParameterizedTest(name = "synced {0}")
  @MethodSource("syncStates")
  void aNodeCatchingUpShowsItsProgressEveryPassAndNothingWhenStuck(Boolean synced) {
    NodeStatus old = shown();
    old.syncedToChain = synced;
    NodeStatus read = shown();
    read.readAt = null;
    read.syncedToChain = synced;
    assertThat(NodeFigures.settle(old, read, SHOWN_AT.plusSeconds(10)))
        .as("a stuck height is not written again")
        .isSameAs(old);
    read.blockHeight += 100;
    assertThat(NodeFigures.settle(old, read, SHOWN_AT.plusSeconds(10)).blockHeight)
        .isEqualTo(870_100L);
  }

  static Stream<Boolean> syncStates() {
    return Stream.of(false, null);
  }

  @org.junit.jupiter.api.Test
  void nothingReadKeepsWhatIsShownAndAFirstReadingIsShown() {
    assertThat(NodeFigures.settle(shown(), null, SHOWN_AT)).isEqualTo(shown());
    NodeStatus read = shown();
    read.readAt = null;
    assertThat(NodeFigures.settle(null, read, SHOWN_AT).readAt).isEqualTo(SHOWN_AT.toString());
  }
}
