package dev.operator.lightning.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.Main;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The operator alone in a JVM of its own, for {@code make bench-scale}: the heap, RSS and CPU it
 * reports are the operator's, not those of the thousands of stand-in members beside it. Reads one
 * command per line on stdin (reset, quiet, report, reconciled, restart, exit) and answers each with
 * one line starting with {@link #REPLY} followed by JSON.
 */
public final class OperatorProcess {
  static final String REPLY = "@@operator ";

  /** System property: the operator's reconcile threads (unset: its default). */
  static final String RECONCILE_THREADS = "bench.reconcileThreads";

  private static final ObjectMapper JSON = new ObjectMapper();

  private OperatorProcess() {}

  public static void main(String[] args) throws Exception {
    Config config = Config.fromKubeconfig(Files.readString(Path.of(args[0])));
    // As the operator's own main() names itself, so the API server's audit log tells it apart.
    config.setUserAgent(Main.USER_AGENT);
    RequestCount requests = new RequestCount();
    KubernetesClient client = requests.client(config);
    Main.Running operator = Main.start(client, settings());
    long cpu0 = cpuNanos();
    reply(JSON.createObjectNode().put("started", true));
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      ObjectNode out = JSON.createObjectNode().put("command", line.trim());
      switch (line.trim()) {
        case "reset" -> {
          requests.reset();
          cpu0 = cpuNanos();
        }
        case "quiet" -> out.put("quietMillis", requests.quietFor().toMillis());
        case "report" -> {
          System.gc();
          out.put(
              "heapMiB",
              ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024));
          out.put("rssMiB", rssKiB("self") / 1024);
          out.put("cpuSeconds", (cpuNanos() - cpu0) / 1e9);
          out.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
          out.put("electionWatches", operator.observer().watchedPrefixes());
          out.put("electionStreams", operator.observer().openWatches());
          out.set("byVerb", JSON.valueToTree(requests.byVerb()));
          out.set("byPath", JSON.valueToTree(requests.byPath()));
        }
        case "reconciled" -> out.put("reconciled", reconciled(operator));
        case "restart" -> {
          operator.close();
          operator = Main.start(client, settings());
        }
        case "exit" -> {
          operator.close();
          reply(out);
          System.exit(0);
        }
        default -> out.put("error", "unknown command");
      }
      reply(out);
    }
    operator.close();
  }

  private static void reply(ObjectNode node) {
    System.out.println(REPLY + node);
    System.out.flush();
  }

  /**
   * As the chart runs it: with the operator's leader election (its Lease renewals are part of the
   * steady traffic). One identity across restarts, as a restarted container keeps its pod's name.
   */
  private static Main.Settings settings() {
    return new Main.Settings(
        java.util.Set.of(),
        "default",
        "bench-operator",
        Main.Settings.DEFAULT_LEASE_DURATION,
        false,
        -1,
        Integer.getInteger(RECONCILE_THREADS, Main.Settings.DEFAULT_RECONCILE_THREADS));
  }

  /** Distinct clusters passed over to the end since this operator instance started. */
  private static long reconciled(Main.Running operator) {
    var g = operator.registry().find("lightning.clusters.confirmed").gauge();
    return g == null ? 0 : (long) g.value();
  }

  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** VmRSS of a process ("self" or a pid), in KiB. */
  static long rssKiB(String pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
