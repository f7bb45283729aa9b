package dev.operator.lightning.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells, from lnd's own logs alone, the HTLCs that lnd 0.21.3 settled as the payee and then failed
 * back, unpaid (docs/testing.md, "Payments and failover"): the payee logs {@code settling htlc H as
 * exit hop}, dies before it marks the HTLC processed, and its next start re-processes the add,
 * takes the onion for a replay and fails it back ({@code unable to decode onion hop iterator for
 * htlc(id=N, hash=H): InvalidOnionVersion}) while the payer keeps the payment SUCCEEDED. The payee
 * gave the preimage and was not paid.
 *
 * <p>Only that exact sequence counts, so a loss with any other story still fails the payments test:
 * the settle and the fail-back name the same payment hash; the lnd run that settled ended without a
 * graceful stop after the settle (no {@code Shutting down...}: a kill, not the operator's deletion
 * or fencing, which lnd sees as a signal and logs); and the fail-back came from another lnd run,
 * after the settling run's last line.
 *
 * <p>A kill can also take the settle line with it: the invoice is settled in the database but the
 * process died before its log line was written (seen in CI: the payee's last settle line was of
 * another hash, 500 ms before the kill). Such a fail-back is told apart ({@link
 * Evidence#settleLogged} false) only when no run logged a settle of that hash at all, and the
 * failing-back run took the lead over from a run that was killed: the run elected before it in the
 * same cluster, which ended without a graceful stop, was restarted in its container and logged its
 * last line before the failing-back run was elected, at most {@link #KILL_TO_FAIL_BACK} before the
 * fail-back. Only a caller that read the invoice as settled in the payee's database may count it,
 * the database then standing for the lost line. A settle logged by a run that went on (two active
 * leaders) or stopped gracefully never qualifies.
 *
 * <p>The same loss without a kill ({@link Evidence#afterKill} false): one lnd run settles the HTLC,
 * its write marking it processed then fails ({@code failing link: unable to set fwd filter}, seen
 * when etcd's leader was killed milliseconds after the settle and the write timed out), and when
 * the link comes back in that same run it takes the add for a replay and fails it back. Only the
 * settle, the failed write and the fail-back in that order, all in one run, count: one process did
 * all three, so no second leader is in the story.
 */
final class SettledUnpaidHtlcs {
  /**
   * One settled-but-unpaid HTLC with the log lines that show it; without {@code settleLogged},
   * {@code settledIn} is the killed run whose settle line was lost and {@code settledAt} is null.
   */
  record Evidence(
      String hashHex,
      String settledIn,
      LocalDateTime settledAt,
      LocalDateTime settlingRunLastLine,
      String failedBackIn,
      LocalDateTime failedBackAt,
      boolean settleLogged,
      boolean afterKill) {}

  /**
   * How long before a fail-back a killed run of the same cluster may have ended for the fail-back
   * to be its replay when no settle line survived: a successor re-processes the add once it leads,
   * within a failover (under a minute in every campaign), not hours later.
   */
  static final java.time.Duration KILL_TO_FAIL_BACK = java.time.Duration.ofMinutes(2);

  /** A container log's file: the pod's name (cluster, ordinal) and the run's uid. */
  private static final Pattern POD_LOG = Pattern.compile("^(.+)-\\d+-[0-9a-f]+\\.log$");

  private static final DateTimeFormatter LND_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
  private static final Pattern TIME =
      Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) ");
  private static final Pattern SETTLE = Pattern.compile("settling htlc ([0-9a-f]{64}) as exit hop");
  private static final Pattern FAIL_BACK =
      Pattern.compile(
          "unable to decode onion hop iterator for htlc\\(id=\\d+, hash=([0-9a-f]{64})\\):"
              + " InvalidOnionVersion");

  /** lnd's link failing because it could not mark the adds it processed (SetFwdFilter). */
  private static final String FWD_FILTER_FAILED = "failing link: unable to set fwd filter";

  /** lnd's line when its campaign wins. */
  private static final String ELECTED = "Elected as leader";

  /** lnd's first line of a run (lnd.go, "Show version at startup"). */
  private static final String RUN_START = "Version Info";

  /**
   * lnd's signal interceptor on any graceful stop: a signal, a shutdown request, a failed check.
   */
  private static final String GRACEFUL_STOP = "Shutting down...";

  private SettledUnpaidHtlcs() {}

  /**
   * The settled-but-unpaid HTLCs in every container log in {@code dir} (one file per pod run, as
   * the sandbox kubelet keeps them), read a line at a time: a campaign's logs run to millions of
   * lines and only a few kinds matter.
   */
  static List<Evidence> findIn(Path dir) throws IOException {
    List<Path> files;
    try (var listing = Files.list(dir)) {
      files = listing.sorted().toList();
    }
    List<Run> runs = new ArrayList<>();
    for (Path f : files) {
      // A cut-short last line must not stop the audit: undecodable bytes are replaced.
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(Files.newInputStream(f), StandardCharsets.UTF_8))) {
        runs.addAll(Run.parse(f.getFileName().toString(), r.lines().iterator()));
      }
    }
    return evidence(runs);
  }

  /** The settled-but-unpaid HTLCs in these container logs, by file name, in the order found. */
  static List<Evidence> find(Map<String, List<String>> containerLogs) {
    List<Run> runs = new ArrayList<>();
    containerLogs.forEach((name, lines) -> runs.addAll(Run.parse(name, lines.iterator())));
    return evidence(runs);
  }

  /**
   * One pass over the fail-backs, indexed by hash, rather than a scan of every other run for each
   * settle: a leader that ran through a whole campaign has thousands of settles never followed by a
   * graceful stop.
   */
  private static List<Evidence> evidence(List<Run> runs) {
    Map<String, List<FailBack>> failBacks = new HashMap<>();
    for (Run run : runs) {
      for (FailBack f : run.failBacks) {
        failBacks.computeIfAbsent(f.hashHex, h -> new ArrayList<>()).add(f);
      }
    }
    List<Evidence> found = new ArrayList<>();
    java.util.Set<String> told = new java.util.HashSet<>();
    for (Run settling : runs) {
      for (Settle s : settling.settlesWithoutGracefulStop) {
        for (FailBack f : failBacks.getOrDefault(s.hashHex, List.of())) {
          if (f.run != settling && f.at.isAfter(settling.lastTime)) {
            found.add(
                new Evidence(
                    s.hashHex,
                    settling.name,
                    s.at,
                    settling.lastTime,
                    f.run.name,
                    f.at,
                    true,
                    true));
            told.add(s.hashHex);
            break;
          }
        }
      }
    }
    java.util.Set<String> settleLogged = new java.util.HashSet<>();
    runs.forEach(r -> settleLogged.addAll(r.settleTimes.keySet()));
    failBacks.forEach(
        (hash, list) -> {
          if (told.contains(hash) || settleLogged.contains(hash)) {
            return;
          }
          for (FailBack f : list) {
            Run killed = killedPredecessor(runs, f);
            if (killed != null) {
              found.add(
                  new Evidence(
                      hash, killed.name, null, killed.lastTime, f.run.name, f.at, false, true));
              return;
            }
          }
        });
    for (Run run : runs) {
      for (FailBack f : run.failBacks) {
        LocalDateTime settledAt = run.settleTimes.get(f.hashHex);
        if (told.contains(f.hashHex) || settledAt == null || !settledAt.isBefore(f.at)) {
          continue;
        }
        boolean writeFailedBetween =
            run.fwdFilterFailures.stream().anyMatch(t -> t.isAfter(settledAt) && t.isBefore(f.at));
        if (writeFailedBetween) {
          found.add(
              new Evidence(
                  f.hashHex, run.name, settledAt, run.lastTime, run.name, f.at, true, false));
          told.add(f.hashHex);
        }
      }
    }
    return found;
  }

  /**
   * The leader the failing-back run took over from, if it was killed: the run of the same cluster
   * elected last before it, restarted without a graceful stop, whose last line comes before the
   * failing-back run's election and at most {@link #KILL_TO_FAIL_BACK} before the fail-back; null
   * otherwise.
   */
  private static Run killedPredecessor(List<Run> runs, FailBack f) {
    Run taker = f.run;
    if (taker.cluster == null || taker.electedAt == null || f.at.isBefore(taker.electedAt)) {
      return null;
    }
    Run previous = null;
    for (Run r : runs) {
      if (r != taker
          && taker.cluster.equals(r.cluster)
          && r.electedAt != null
          && r.electedAt.isBefore(taker.electedAt)
          && (previous == null || r.electedAt.isAfter(previous.electedAt))) {
        previous = r;
      }
    }
    if (previous == null
        || !previous.restarted
        || previous.stoppedGracefully
        || previous.lastTime.isAfter(taker.electedAt)
        || previous.lastTime.isBefore(f.at.minus(KILL_TO_FAIL_BACK))) {
      return null;
    }
    return previous;
  }

  private static LocalDateTime time(String line) {
    Matcher m = TIME.matcher(line);
    return m.find() ? LocalDateTime.parse(m.group(1), LND_TIME) : null;
  }

  private record Settle(String hashHex, LocalDateTime at) {}

  private record FailBack(Run run, String hashHex, LocalDateTime at) {}

  /**
   * What one lnd process logged that matters here: a killed container restarts into the same file,
   * so a file holds one run per {@link #RUN_START}.
   */
  private static final class Run {
    final String name;

    /** The cluster whose member ran it, from the pod's name; null for a file named otherwise. */
    final String cluster;

    /** Whether it logged a graceful stop (then it was not killed, whatever came after). */
    boolean stoppedGracefully;

    /** Whether another run followed it in the same container: it ended. */
    boolean restarted;

    /** When its campaign won; null if it never led. */
    LocalDateTime electedAt;

    /** Every hash it logged a settle of, graceful stop or not, with when it first did. */
    final Map<String, LocalDateTime> settleTimes = new HashMap<>();

    /** When its write marking an HTLC processed failed ({@link #FWD_FILTER_FAILED}). */
    final List<LocalDateTime> fwdFilterFailures = new ArrayList<>();

    /** Settles after which this run logged no graceful stop: it was killed (or still runs). */
    final List<Settle> settlesWithoutGracefulStop = new ArrayList<>();

    final List<FailBack> failBacks = new ArrayList<>();

    /** The time of the run's last timestamped line (a run still going has a late one). */
    LocalDateTime lastTime = LocalDateTime.MAX;

    private Run(String file, String name) {
      this.name = name;
      Matcher pod = POD_LOG.matcher(file);
      this.cluster = pod.matches() ? pod.group(1) : null;
    }

    static List<Run> parse(String file, Iterator<String> lines) {
      List<Run> runs = new ArrayList<>();
      Run current = null;
      while (lines.hasNext()) {
        String line = lines.next();
        if (current == null || line.contains(RUN_START)) {
          if (current != null) {
            current.restarted = true;
          }
          current = new Run(file, file + " run " + (runs.size() + 1));
          runs.add(current);
        }
        current.read(line);
      }
      if (current == null) {
        runs.add(new Run(file, file + " run 1"));
      }
      return runs;
    }

    private void read(String line) {
      LocalDateTime at = time(line);
      if (at != null) {
        lastTime = at;
      }
      if (line.contains(GRACEFUL_STOP)) {
        stoppedGracefully = true;
        settlesWithoutGracefulStop.clear();
        return;
      }
      if (at == null) {
        return;
      }
      if (electedAt == null && line.contains(ELECTED)) {
        electedAt = at;
        return;
      }
      Matcher settle = SETTLE.matcher(line);
      if (settle.find()) {
        settlesWithoutGracefulStop.add(new Settle(settle.group(1), at));
        settleTimes.putIfAbsent(settle.group(1), at);
        return;
      }
      if (line.contains(FWD_FILTER_FAILED)) {
        fwdFilterFailures.add(at);
        return;
      }
      Matcher failBack = FAIL_BACK.matcher(line);
      if (failBack.find()) {
        failBacks.add(new FailBack(this, failBack.group(1), at));
      }
    }
  }
}
