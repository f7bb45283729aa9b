package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which lnd log sequences are lnd's settled-but-unpaid HTLC, and which are not. */
class SettledUnpaidHtlcsTest {
  private static final String H = "560a31ba" + "0".repeat(56);
  private static final String OTHER = "d206911a" + "0".repeat(56);
  // Lines as lnd 0.21.3 wrote them in PayeeKillRepro's run of 2026-12-06, with other times.
  private static final String CHANNEL =
      "ChannelLink(2aaf54b878117c541f16c1963cff6b92e556558a6289f2a2b7aab0d8c19825ba:0): ";
  private static final String LINK = "[INF] HSWC: " + CHANNEL;

  private static String start(String time) {
    return "2026-12-04 "
        + time
        + " [INF] LTND: Version Info rev=\"\" version=0.21.3-beta commit=\"\""
        + " debuglevel=production logging=info";
  }

  private static String settle(String time, String hash) {
    return "2026-12-04 " + time + " " + LINK + "settling htlc " + hash + " as exit hop";
  }

  private static String failBack(String time, String hash, String code) {
    return "2026-12-04 "
        + time
        + " [ERR] HSWC: "
        + CHANNEL
        + "unable to decode onion hop iterator for htlc(id=14, hash="
        + hash
        + "): "
        + code;
  }

  private static String line(String time, String text) {
    return "2026-12-04 " + time + " [INF] " + text;
  }

  private static Map<String, List<String>> logs(Object... fileThenLines) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (int i = 0; i < fileThenLines.length; i += 2) {
      @SuppressWarnings("unchecked")
      List<String> lines = (List<String>) fileThenLines[i + 1];
      m.put((String) fileThenLines[i], lines);
    }
    return m;
  }

  private static final String REPLAY =
      "[ERR] HSWC: unable to process onion packet: sphinx packet replay attempted";

  @Test
  void aKilledPayeeWhoseSuccessorFailsTheSettledHtlcBackIsTheLoss() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    settle("19:42:54.490", H),
                    line("19:42:54.493", "HSWC: sent update_fulfill")),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"),
                    line("19:42:55.100", "LTND: elected leader"),
                    "2026-12-04 19:42:58.010 " + REPLAY,
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.hashHex()).isEqualTo(H);
              assertThat(e.settleLogged()).isTrue();
              assertThat(e.settledIn()).isEqualTo("alice-1-aa.log run 1");
              assertThat(e.failedBackIn()).isEqualTo("alice-2-bb.log run 1");
              assertThat(e.settlingRunLastLine().toString()).isEqualTo("2026-12-04T19:42:54.493");
            });
  }

  @Test
  void aSettleBeforeAGracefulStopIsNotLndsLoss() {
    // The operator's deletion or fencing: lnd logs the signal and stops; a fail-back after that is
    // something else and must fail the payments test.
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    settle("19:42:54.490", H),
                    line("19:42:54.600", "SGNL: Received terminated"),
                    line("19:42:54.601", "SGNL: Shutting down...")),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"), failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  private static String elected(String time) {
    return line(time, "LTND: Elected as leader rev=\"\" cluster_id=x");
  }

  @Test
  void aKillThatTookTheSettleLineWithItIsToldApart() {
    // CI, 2026-12-07: the payee's last settle line named another hash; the kill came before the
    // settle of this one reached the log, though the invoice was settled in the database.
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    elected("19:40:05.000"),
                    settle("19:42:54.490", OTHER),
                    line("19:42:54.700", "SRVR: Adding preimage to witness cache"),
                    start("19:42:55.100"),
                    line("19:42:55.200", "LTND: Starting leadership campaign")),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"),
                    elected("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.hashHex()).isEqualTo(H);
              assertThat(e.settleLogged()).isFalse();
              assertThat(e.settledAt()).isNull();
              assertThat(e.settledIn()).isEqualTo("alice-1-aa.log run 1");
              assertThat(e.settlingRunLastLine().toString()).isEqualTo("2026-12-04T19:42:54.700");
              assertThat(e.failedBackIn()).isEqualTo("alice-2-bb.log run 1");
            });
  }

  @Test
  void aFailBackWithoutASettleLineAfterAGracefulStopIsNotLndsLoss() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    elected("19:40:05.000"),
                    settle("19:42:54.490", OTHER),
                    line("19:42:54.601", "SGNL: Shutting down..."),
                    line("19:42:55.000", "LTND: Shutdown complete"),
                    start("19:42:55.100")),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"),
                    elected("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void aSilentFollowerStillRunningIsNotAKill() {
    // The kubelet restarts a killed lnd into the same log: a run with no later one may still run,
    // as a follower that logs nothing while it waits (CI: bob-2's second run, silent from its
    // campaign on, would otherwise have been named instead of the run that was killed).
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    elected("19:40:05.000"),
                    line("19:42:54.700", "HSWC: forwarding")),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"),
                    elected("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void aKillOfAnotherClusterDoesNotExplainAFailBack() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "bob-2-aa.log",
                List.of(
                    start("19:40:00.000"),
                    elected("19:40:05.000"),
                    line("19:42:54.700", "HSWC: forwarding"),
                    start("19:42:55.100")),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"),
                    elected("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void aKillLongBeforeAFailBackDoesNotExplainIt() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:30:00.000"),
                    elected("19:30:05.000"),
                    line("19:39:57.000", "HSWC: forwarding"),
                    start("19:39:58.000")),
                "alice-2-bb.log",
                List.of(
                    start("19:30:01.000"),
                    elected("19:40:00.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void aSettleLoggedByALeaderThatWentOnIsTwoActiveLeadersEvenAfterAnotherKill() {
    // alice-0 led and was killed; alice-1 led after it and settled, and still logs after the
    // fail-back by alice-2: two leaders at once, which the payments test must fail on.
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-0-aa.log",
                List.of(
                    start("19:40:00.000"),
                    elected("19:40:05.000"),
                    line("19:42:00.000", "HSWC: forwarding"),
                    start("19:42:00.200")),
                "alice-1-bb.log",
                List.of(
                    start("19:40:01.000"),
                    elected("19:42:01.000"),
                    settle("19:42:54.490", H),
                    line("19:43:10.000", "HSWC: still forwarding")),
                "alice-2-cc.log",
                List.of(
                    start("19:40:02.000"),
                    elected("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void aSettleLoggedBeforeAGracefulStopIsNotExplainedByALaterKill() {
    // alice-0 settled and stopped gracefully; alice-1 led next and was killed; alice-2 failed the
    // HTLC back. The settle is on record, and its run's graceful stop rules out lnd's loss.
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-0-aa.log",
                List.of(
                    start("19:40:00.000"),
                    elected("19:40:05.000"),
                    settle("19:42:40.000", H),
                    line("19:42:40.500", "SGNL: Shutting down...")),
                "alice-1-bb.log",
                List.of(
                    start("19:40:01.000"),
                    elected("19:42:41.000"),
                    line("19:42:50.000", "HSWC: forwarding"),
                    start("19:42:51.000")),
                "alice-2-cc.log",
                List.of(
                    start("19:40:02.000"),
                    elected("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void aKilledFollowerIsNotTheLeaderTheFailingBackRunTookOverFrom() {
    // alice-0 led and stopped gracefully; alice-1 was killed while it followed.
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-0-aa.log",
                List.of(
                    start("19:40:00.000"),
                    elected("19:40:05.000"),
                    line("19:42:54.000", "SGNL: Shutting down...")),
                "alice-1-bb.log",
                List.of(
                    start("19:40:01.000"),
                    line("19:42:50.000", "LTND: Starting leadership campaign"),
                    start("19:42:51.000")),
                "alice-2-cc.log",
                List.of(
                    start("19:40:02.000"),
                    elected("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void anotherFailureCodeIsNotTheReplay() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(start("19:40:00.000"), settle("19:42:54.490", H)),
                "alice-2-bb.log",
                List.of(start("19:40:01.000"), failBack("19:42:58.011", H, "InvalidOnionHmac"))));
    assertThat(found).isEmpty();
  }

  @Test
  void aSettlingRunStillLoggingAfterTheFailBackIsTwoActiveNodesNotLndsLoss() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    settle("19:42:54.490", H),
                    line("19:43:10.000", "HSWC: still forwarding")),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"), failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void theSamePodRestartedAfterTheKillCanBeTheOneThatFailsBack() {
    // The kubelet restarts a killed container into the same log; the later run's graceful stop
    // belongs to that run, not to the one that settled.
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    settle("19:42:54.490", H),
                    start("19:42:56.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"),
                    line("19:44:00.000", "SGNL: Shutting down..."))));
    assertThat(found)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.settledIn()).isEqualTo("alice-1-aa.log run 1");
              assertThat(e.failedBackIn()).isEqualTo("alice-1-aa.log run 2");
            });
  }

  @Test
  void aFailBackInTheSettlingRunItselfIsNotTheRestartReplay() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    settle("19:42:54.490", H),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"))));
    assertThat(found).isEmpty();
  }

  @Test
  void eachLostHtlcIsFoundOnceAndOthersAreLeftAlone() {
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "alice-1-aa.log",
                List.of(
                    start("19:40:00.000"),
                    settle("19:42:50.000", OTHER),
                    settle("19:42:54.490", H)),
                "alice-2-bb.log",
                List.of(
                    start("19:40:01.000"),
                    failBack("19:42:58.011", H, "InvalidOnionVersion"),
                    failBack("19:42:58.500", H, "InvalidOnionVersion")),
                "alice-0-cc.log",
                List.of(
                    start("19:40:02.000"), failBack("19:42:59.000", H, "InvalidOnionVersion"))));
    assertThat(found).extracting(SettledUnpaidHtlcs.Evidence::hashHex).containsExactly(H);
  }

  @Test
  void aWholeCampaignsLogsAreReadFromDiskInOnePass(@TempDir Path dir) throws Exception {
    // Two nodes that lived through a campaign: thousands of settles each never followed by a
    // graceful stop, among a million other lines; alice's previous leader was killed after one
    // settle that her next one failed back. Each settle scanning every other run took hours.
    for (String file : List.of("alice-2-bb.log", "bob-0-cc.log")) {
      List<String> longRun = new ArrayList<>();
      longRun.add(start("19:40:01.000"));
      for (int i = 0; i < 10_000; i++) {
        longRun.add(
            settle(
                "19:43:00.000",
                String.format("%s%060x", file.startsWith("alice") ? "a11c" : "b0b0", i)));
        for (int j = 0; j < 50; j++) {
          longRun.add(line("19:43:00.001", "HSWC: forwarding " + j));
        }
      }
      if (file.startsWith("alice")) {
        longRun.add(failBack("19:43:01.000", H, "InvalidOnionVersion"));
      }
      Files.write(dir.resolve(file), longRun);
    }
    // A kill can cut a line short in the middle of a character.
    byte[] cut = {(byte) 0xe2, (byte) 0x82};
    Files.write(
        dir.resolve("alice-1-aa.log"),
        (start("19:40:00.000") + "\n" + settle("19:42:54.490", H) + "\n")
            .getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve("alice-1-aa.log"), cut, StandardOpenOption.APPEND);

    var found =
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> SettledUnpaidHtlcs.findIn(dir));

    assertThat(found)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.settledIn()).isEqualTo("alice-1-aa.log run 1");
              assertThat(e.failedBackIn()).isEqualTo("alice-2-bb.log run 1");
            });
  }

  private static String fwdFilterFailed(String time) {
    return "2026-12-04 "
        + time
        + " [ERR] HSWC: "
        + CHANNEL
        + "failing link: unable to set fwd filter: etcd error: stm.Commit() failed - etcdserver:"
        + " request timed out, possibly due to previous leader failure";
  }

  @Test
  void aSettleWhoseProcessedMarkFailedAndThatTheSameRunFailsBackIsTheLossWithoutAKill() {
    // As in the 300-fault run of 2026-12-07: etcd's leader killed right after the settle.
    var found =
        SettledUnpaidHtlcs.find(
            logs(
                "demo-2-aa.log",
                List.of(
                    start("15:03:53.617"),
                    line("15:04:45.487", "LTND: Elected as leader"),
                    settle("15:04:58.283", H),
                    fwdFilterFailed("15:05:05.295"),
                    "2026-12-04 15:05:26.017 " + REPLAY,
                    failBack("15:05:26.017", H, "InvalidOnionVersion"),
                    line("15:06:00.000", "HSWC: still running"))));
    assertThat(found)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.hashHex()).isEqualTo(H);
              assertThat(e.settledIn()).isEqualTo(e.failedBackIn());
              assertThat(e.settleLogged()).isTrue();
              assertThat(e.afterKill()).isFalse();
            });
  }

  @Test
  void aFailBackInTheSettlingRunWithoutAFailedProcessedMarkBetweenIsNoLossOfLnds() {
    var noWriteFailure =
        SettledUnpaidHtlcs.find(
            logs(
                "demo-2-aa.log",
                List.of(
                    start("15:03:53.617"),
                    settle("15:04:58.283", H),
                    failBack("15:05:26.017", H, "InvalidOnionVersion"))));
    var failureBeforeTheSettle =
        SettledUnpaidHtlcs.find(
            logs(
                "demo-2-aa.log",
                List.of(
                    start("15:03:53.617"),
                    fwdFilterFailed("15:04:50.000"),
                    settle("15:04:58.283", H),
                    failBack("15:05:26.017", H, "InvalidOnionVersion"))));
    var failureOfAnotherRun =
        SettledUnpaidHtlcs.find(
            logs(
                "demo-2-aa.log",
                List.of(
                    start("15:03:53.617"),
                    settle("15:04:58.283", H),
                    // Stopped gracefully: not the kill story either.
                    line("15:05:00.000", "LTND: Shutting down...")),
                "demo-1-bb.log",
                List.of(
                    start("15:03:54.000"),
                    fwdFilterFailed("15:05:05.295"),
                    failBack("15:05:26.017", H, "InvalidOnionVersion"))));
    assertThat(noWriteFailure).as("no failed write between settle and fail-back").isEmpty();
    assertThat(failureBeforeTheSettle).as("the write failed before the settle").isEmpty();
    assertThat(failureOfAnotherRun)
        .as("settle in one run, write failure and fail-back in another")
        .isEmpty();
  }
}
