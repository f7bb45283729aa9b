package dev.operator.lightning.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Starts {@link OperatorProcess} in a JVM of its own and talks to it line by line. */
final class OperatorJvm implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final PrintWriter commands;
  private final BlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();

  /**
   * @param maxHeap the -Xmx of the operator's JVM, e.g. "2g"
   * @param log where the operator's own output goes
   */
  OperatorJvm(Path kubeconfig, String maxHeap, Path log) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + maxHeap);
    // The harness's cluster DNS: the operator reaches members by name through the same file.
    for (String p :
        List.of(
            dev.operator.lightning.harness.HostsFile.PROPERTY,
            "sun.net.inetaddr.ttl",
            "sun.net.inetaddr.negative.ttl",
            OperatorProcess.RECONCILE_THREADS)) {
      if (System.getProperty(p) != null) {
        cmd.add("-D" + p + "=" + System.getProperty(p));
      }
    }
    // For a profile of the operator alone, e.g. -XX:StartFlightRecording=filename=op.jfr
    String extra = System.getProperty("bench.operatorJvmArgs", "").strip();
    if (!extra.isEmpty()) {
      cmd.addAll(List.of(extra.split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(OperatorProcess.class.getName());
    cmd.add(kubeconfig.toString());
    process =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    commands =
        new PrintWriter(
            new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8),
            true);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                  var out = Files.newBufferedWriter(log)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  if (line.startsWith(OperatorProcess.REPLY)) {
                    replies.add(JSON.readTree(line.substring(OperatorProcess.REPLY.length())));
                  } else {
                    out.write(line);
                    out.newLine();
                    out.flush();
                  }
                }
              } catch (Exception e) {
                // the process ended
              }
            },
            "operator-jvm-reader");
    reader.setDaemon(true);
    reader.start();
    JsonNode started = next(Duration.ofMinutes(2));
    if (!started.path("started").asBoolean()) {
      throw new IllegalStateException("the operator JVM did not start: " + started);
    }
  }

  long pid() {
    return process.pid();
  }

  /** Sends one command and waits for its answer. */
  synchronized JsonNode ask(String command, Duration timeout) throws Exception {
    commands.println(command);
    return next(timeout);
  }

  private JsonNode next(Duration timeout) throws Exception {
    JsonNode r = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new IllegalStateException(
          "no answer from the operator JVM within "
              + timeout
              + " (alive: "
              + process.isAlive()
              + ")");
    }
    return r;
  }

  @Override
  public void close() {
    try {
      ask("exit", Duration.ofSeconds(30));
    } catch (Exception e) {
      // fall through to the kill
    }
    process.destroyForcibly();
  }
}
