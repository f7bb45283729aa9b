package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.ElectionHistory.Term;
import dev.operator.lightning.harness.MemberStatePoller.Reading;
import dev.operator.lightning.harness.RoutingHistory.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The monitor's judgement on made-up histories of one handover from m0 to m1 at t = 1,000 ms: what
 * counts as a window, and what is a violation.
 */
class InvariantMonitorTest {
  private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

  private static Instant at(long ms) {
    return T0.plusMillis(ms);
  }

  private static final List<Term> HANDOVER =
      List.of(new Term(at(0), 1, "m0"), new Term(at(1_000), 2, "m1"));

  /** m0 active until {@code m0Until}, m1 active from {@code m1From}, readings every 100 ms. */
  private static List<Reading> states(long m0Until, long m1From, boolean peers) {
    List<Reading> out = new ArrayList<>();
    for (long t = 0; t < 3_000; t += 100) {
      out.add(
          new Reading(
              at(t), "m0", t < m0Until ? "SERVER_ACTIVE" : null, peers && t < m0Until, false));
      out.add(
          new Reading(
              at(t),
              "m1",
              t >= m1From ? "SERVER_ACTIVE" : "WAITING_TO_START",
              peers && t >= m1From,
              false));
    }
    return out;
  }

  @Test
  void aCleanHandoverOpensNoWindow() {
    var w =
        InvariantMonitor.judge(
            HANDOVER,
            List.of(
                new Version(at(0), "1", List.of("m0")), new Version(at(1_000), "2", List.of("m1"))),
            states(1_000, 1_000, true),
            at(0),
            at(3_000));
    assertThat(w.staleRouteMs()).isZero();
    assertThat(w.activeUnroutedMs()).isZero();
    assertThat(w.bothActiveMs()).isZero();
    assertThat(w.violations()).isEmpty();
  }

  @Test
  void aSliceNamingARevisionAtWhichItsMemberDidNotLeadIsAViolation() {
    // m0 led from revision 1, m1 from revision 2. The same routing, once with the revision of the
    // routed member's term and once with the term before it.
    assertThat(handoverNaming(2).violations()).isEmpty();
    assertThat(handoverNaming(1).violations())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("routes m1 as the leader of election revision 1, at which m0 led");
  }

  /** The clean handover, its second slice version naming {@code revision} for m1. */
  private static InvariantMonitor.Windows handoverNaming(long revision) {
    return InvariantMonitor.judge(
        HANDOVER,
        List.of(
            new Version(at(0), "1", List.of("m0"), 1),
            new Version(at(1_000), "2", List.of("m1"), revision)),
        states(1_000, 1_000, true),
        at(0),
        at(3_000));
  }

  @Test
  void aRevisionBeforeTheFirstListingOrInAWatchGapIsNotJudged() {
    List<Term> gap =
        List.of(
            new Term(at(0), 5, "m0"),
            new Term(at(900), -1, ElectionHistory.UNKNOWN),
            new Term(at(1_600), 9, "m1"));
    assertThat(ElectionHistory.leaderAt(gap, 4)).as("before the first listing").isEmpty();
    assertThat(ElectionHistory.leaderAt(gap, 5)).contains("m0");
    assertThat(ElectionHistory.leaderAt(gap, 7))
        .as("m0's term ran into a gap: the leader may have changed unseen")
        .isEmpty();
    assertThat(ElectionHistory.leaderAt(gap, 9)).contains("m1");
    assertThat(ElectionHistory.leaderAt(gap, 100)).contains("m1");
    List<Term> open =
        List.of(new Term(at(0), 5, "m0"), new Term(at(900), -1, ElectionHistory.UNKNOWN));
    assertThat(ElectionHistory.leaderAt(open, 6)).as("a gap still open").isEmpty();
    assertThat(ElectionHistory.leaderAt(List.of(new Term(at(0), 5, null)), 6)).contains("");
  }

  @Test
  void theOldLeaderRoutedAfterTheKeyChangeIsAStaleRouteNotAViolation() {
    var w =
        InvariantMonitor.judge(
            HANDOVER,
            List.of(
                new Version(at(0), "1", List.of("m0")), new Version(at(1_300), "2", List.of("m1"))),
            states(1_000, 1_000, true),
            at(0),
            at(3_000));
    assertThat(w.staleRouteMs()).isEqualTo(300);
    assertThat(w.activeUnroutedMs()).isEqualTo(300);
    assertThat(w.violations()).isEmpty();
  }

  /** The slice routes m0 until {@code healedMs}, then m1; m1 leads from 1,000 ms. */
  private static InvariantMonitor.Windows withOutages(
      long healedMs, List<InvariantMonitor.Outage> outages) {
    List<Version> versions = new ArrayList<>(List.of(new Version(at(0), "1", List.of("m0"))));
    if (healedMs >= 0) {
      versions.add(new Version(at(healedMs), "2", List.of("m1")));
    }
    return InvariantMonitor.judge(
        HANDOVER, versions, states(1_000, 1_000, true), outages, at(0), at(3_000));
  }

  private static InvariantMonitor.Outage away(long fromMs, long toMs) {
    return new InvariantMonitor.Outage(at(fromMs), at(toMs));
  }

  @Test
  void aStaleRouteWhileTheApiServerIsAwayIsNotCountedButTheTimeToHealAfterItReturnsIs() {
    var w = withOutages(1_300, List.of(away(500, 1_200)));
    assertThat(w.staleRouteMs()).as("only once the API server was back").isEqualTo(100);
    assertThat(w.apiServerAwayMs()).isEqualTo(700);
    assertThat(w.healedAfterApiMs()).isEqualTo(100);
    assertThat(w.violations()).isEmpty();
  }

  @Test
  void theSameStaleRouteOutsideAnOutageIsCounted() {
    var w = withOutages(1_300, List.of(away(2_000, 2_500)));
    assertThat(w.staleRouteMs()).isEqualTo(300);
    assertThat(w.healedAfterApiMs()).as("routed right when the API server returned").isZero();
    assertThat(withOutages(1_300, List.of()).healedAfterApiMs()).as("no outage").isEqualTo(-1);
  }

  @Test
  void routingThatNeverHealsAfterTheApiServerReturnsCountsToTheIntervalsEnd() {
    var w = withOutages(-1, List.of(away(500, 1_200)));
    assertThat(w.staleRouteMs()).isEqualTo(1_800);
    assertThat(w.healedAfterApiMs()).isEqualTo(1_800);
  }

  @Test
  void aNewLeaderActiveBeforeItIsRoutedIsCounted() {
    var w =
        InvariantMonitor.judge(
            HANDOVER,
            List.of(
                new Version(at(0), "1", List.of("m0")),
                new Version(at(1_000), "2", List.of()),
                new Version(at(1_700), "3", List.of("m1"))),
            states(1_000, 1_200, true),
            at(0),
            at(3_000));
    assertThat(w.staleRouteMs()).isZero();
    assertThat(w.activeUnroutedMs()).isEqualTo(500);
  }

  @Test
  void twoActiveMembersAreCountedApartFromTwoServingPeers() {
    var w =
        InvariantMonitor.judge(
            HANDOVER,
            List.of(
                new Version(at(0), "1", List.of("m0")), new Version(at(1_000), "2", List.of("m1"))),
            states(1_500, 1_000, false),
            at(0),
            at(3_000));
    assertThat(w.bothActiveMs()).isEqualTo(500);
    assertThat(w.bothServingMs()).as("neither took peers").isZero();
  }

  @Test
  void aSliceWithTwoMembersOrAMemberThatNeverLedIsAViolation() {
    var w =
        InvariantMonitor.judge(
            HANDOVER,
            List.of(
                new Version(at(0), "1", List.of("m0")),
                new Version(at(1_000), "2", List.of("m1", "m0")),
                new Version(at(1_100), "3", List.of("m2"))),
            states(1_000, 1_000, true),
            at(0),
            at(3_000));
    assertThat(w.violations()).hasSize(2);
    assertThat(w.violations().get(0)).contains("routes [m1, m0]");
    assertThat(w.violations().get(1)).contains("routes m2");
  }

  @Test
  void whileTheMonitorIsBlindNothingIsCountedAgainstTheOperator() {
    var w =
        InvariantMonitor.judge(
            List.of(
                new Term(at(0), 1, "m0"),
                new Term(at(900), -1, ElectionHistory.UNKNOWN),
                new Term(at(1_600), 3, "m1")),
            List.of(
                new Version(at(0), "1", List.of("m0")), new Version(at(1_200), "2", List.of("m1"))),
            states(1_000, 1_000, true),
            at(0),
            at(3_000));
    assertThat(w.staleRouteMs()).isZero();
    assertThat(w.violations()).as("m1 routed while the monitor could not see").isEmpty();
  }

  @Test
  void aLeaderOnlyItsOwnPodCanReachIsNotCountedAsUnrouted() {
    List<Reading> lost = new ArrayList<>();
    for (long t = 0; t < 3_000; t += 100) {
      lost.add(new Reading(at(t), "m0", "SERVER_ACTIVE", false, t >= 500));
    }
    var w =
        InvariantMonitor.judge(
            List.of(new Term(at(0), 1, "m0")),
            List.of(new Version(at(0), "1", List.of("m0")), new Version(at(500), "2", List.of())),
            lost,
            at(0),
            at(3_000));
    assertThat(w.activeUnroutedMs()).as("read from inside its pod once unrouted").isZero();
  }

  @Test
  void twoMembersServingPeersAtOnceIsAViolation() {
    var w =
        InvariantMonitor.judge(
            HANDOVER,
            List.of(
                new Version(at(0), "1", List.of("m0")), new Version(at(1_000), "2", List.of("m1"))),
            states(1_300, 1_000, true),
            at(0),
            at(3_000));
    assertThat(w.bothServingMs()).isEqualTo(300);
    assertThat(w.violations())
        .singleElement()
        .asString()
        .contains("two members served peers at once: [m0, m1] from +1000 ms for 300 ms");
  }

  private static final java.time.Duration TTL = java.time.Duration.ofSeconds(24);

  private static List<String> revoked(List<ContainerRuns.Run> runs, long revocationSeenMs) {
    return InvariantMonitor.revokedWhileRunning(
        HANDOVER,
        List.of(new RevocationHistory.Revocation(at(revocationSeenMs), "m0")),
        runs,
        TTL,
        at(0),
        at(3_000));
  }

  @Test
  void aRevocationAfterTheLeadersProcessEndedIsNoViolation() {
    assertThat(revoked(List.of(new ContainerRuns.Run("m0", at(-5_000), at(900))), 1_010)).isEmpty();
  }

  @Test
  void aRevocationWhileTheLeadersOnlyProcessStillRunsIsAViolation() {
    assertThat(revoked(List.of(new ContainerRuns.Run("m0", at(-5_000), null)), 1_010))
        .singleElement()
        .asString()
        .contains("m0's lease was revoked while the process that led");
    // Ended, but only after its key was gone: still revoked while it ran.
    assertThat(revoked(List.of(new ContainerRuns.Run("m0", at(-5_000), at(1_500))), 1_010))
        .hasSize(1);
  }

  @Test
  void aKeyThatMayBelongToAnEarlierProcessThatEndedIsGivenTheBenefitOfTheDoubt() {
    List<ContainerRuns.Run> restarted =
        List.of(
            new ContainerRuns.Run("m0", at(-10_000), at(-2_000)),
            new ContainerRuns.Run("m0", at(-1_900), null));
    assertThat(revoked(restarted, 1_010)).isEmpty();
    // A process that ended longer than a session TTL before the term cannot own its key.
    List<ContainerRuns.Run> longAgo =
        List.of(
            new ContainerRuns.Run("m0", at(-100_000), at(-60_000)),
            new ContainerRuns.Run("m0", at(-59_000), null));
    assertThat(revoked(longAgo, 1_010)).hasSize(1);
  }

  @Test
  void nothingIsJudgedWhileBlindOrForAMemberNeverSeenLeading() {
    List<Term> blind =
        List.of(new Term(at(0), 1, "m0"), new Term(at(1_000), -1, ElectionHistory.UNKNOWN));
    List<ContainerRuns.Run> running = List.of(new ContainerRuns.Run("m0", at(-5_000), null));
    assertThat(
            InvariantMonitor.revokedWhileRunning(
                blind,
                List.of(new RevocationHistory.Revocation(at(1_010), "m0")),
                running,
                TTL,
                at(0),
                at(3_000)))
        .isEmpty();
    assertThat(
            InvariantMonitor.revokedWhileRunning(
                HANDOVER,
                List.of(new RevocationHistory.Revocation(at(1_010), "m7")),
                List.of(new ContainerRuns.Run("m7", at(-5_000), null)),
                TTL,
                at(0),
                at(3_000)))
        .isEmpty();
  }

  @Test
  void theMemberIsReadFromTheOperatorsEventMessage() {
    assertThat(
            RevocationHistory.member(
                "revoked the election lease of demo-0 because the lnd container of demo-0"
                    + " terminated; the next member takes over without waiting for the session TTL"))
        .isEqualTo("demo-0");
    assertThat(RevocationHistory.member("something else")).isNull();
    assertThat(RevocationHistory.member(null)).isNull();
  }
}
