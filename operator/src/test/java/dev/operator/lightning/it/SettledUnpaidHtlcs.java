package dev.operator.lightning.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 */
final class SettledUnpaidHtlcs {
  /** One settled-but-unpaid HTLC with the log lines that show it. */
  record Evidence(
      String hashHex,
      String settledIn,
      LocalDateTime settledAt,
      LocalDateTime settlingRunLastLine,
      String failedBackIn,
      LocalDateTime failedBackAt) {}

  private static final DateTimeFormatter LND_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
  private static final Pattern TIME =
      Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) ");
  private static final Pattern SETTLE = Pattern.compile("settling htlc ([0-9a-f]{64}) as exit hop");
  private static final Pattern FAIL_BACK =
      Pattern.compile(
          "unable to decode onion hop iterator for htlc\\(id=\\d+, hash=([0-9a-f]{64})\\):"
              + " InvalidOnionVersion");

  /** lnd's first line of a run (lnd.go, "Show version at startup"). */
  private static final String RUN_START = "Version Info";

  /**
   * lnd's signal interceptor on any graceful stop: a signal, a shutdown request, a failed check.
   */
  private static final String GRACEFUL_STOP = "Shutting down...";

  private SettledUnpaidHtlcs() {}

  /**
   * Every container log in {@code dir} (one file per pod run, as the sandbox kubelet keeps them).
   */
  static Map<String, List<String>> read(Path dir) throws IOException {
    Map<String, List<String>> logs = new TreeMap<>();
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        logs.put(f.getFileName().toString(), Files.readAllLines(f));
      }
    }
    return logs;
  }

  /** The settled-but-unpaid HTLCs in these container logs, by file name, in the order found. */
  static List<Evidence> find(Map<String, List<String>> containerLogs) {
    List<Run> runs = new ArrayList<>();
    containerLogs.forEach((name, lines) -> runs.addAll(Run.split(name, lines)));
    List<Evidence> found = new ArrayList<>();
    for (Run settling : runs) {
      for (Settle s : settling.settlesWithoutGracefulStop()) {
        LocalDateTime lastWords = settling.lastTime();
        Evidence e = null;
        for (Run other : runs) {
          if (other == settling || e != null) {
            continue;
          }
          for (String line : other.lines) {
            Matcher m = FAIL_BACK.matcher(line);
            LocalDateTime at = time(line);
            if (m.find() && m.group(1).equals(s.hashHex) && at != null && at.isAfter(lastWords)) {
              e = new Evidence(s.hashHex, settling.name, s.at, lastWords, other.name, at);
              break;
            }
          }
        }
        if (e != null) {
          found.add(e);
        }
      }
    }
    return found;
  }

  private static LocalDateTime time(String line) {
    Matcher m = TIME.matcher(line);
    return m.find() ? LocalDateTime.parse(m.group(1), LND_TIME) : null;
  }

  private record Settle(String hashHex, LocalDateTime at) {}

  /** The lines of one lnd process: a killed container restarts into the same file. */
  private record Run(String name, List<String> lines) {
    static List<Run> split(String file, List<String> lines) {
      List<Run> runs = new ArrayList<>();
      List<String> current = new ArrayList<>();
      for (String line : lines) {
        if (line.contains(RUN_START) && !current.isEmpty()) {
          runs.add(new Run(file + " run " + (runs.size() + 1), current));
          current = new ArrayList<>();
        }
        current.add(line);
      }
      runs.add(new Run(file + " run " + (runs.size() + 1), current));
      return runs;
    }

    /** Settles after which this run logged no graceful stop: it was killed (or still runs). */
    List<Settle> settlesWithoutGracefulStop() {
      List<Settle> settles = new ArrayList<>();
      for (String line : lines) {
        if (line.contains(GRACEFUL_STOP)) {
          settles.clear();
          continue;
        }
        Matcher m = SETTLE.matcher(line);
        LocalDateTime at = time(line);
        if (m.find() && at != null) {
          settles.add(new Settle(m.group(1), at));
        }
      }
      return settles;
    }

    /** The time of this run's last timestamped line: a run still going has a late one. */
    LocalDateTime lastTime() {
      for (int i = lines.size() - 1; i >= 0; i--) {
        LocalDateTime t = time(lines.get(i));
        if (t != null) {
          return t;
        }
      }
      return LocalDateTime.MAX;
    }
  }
}
