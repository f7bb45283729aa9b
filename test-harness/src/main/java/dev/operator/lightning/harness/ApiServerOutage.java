package dev.operator.lightning.harness;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A control plane's kube-apiserver stopped (its process ended, as a crashed or upgraded API server
 * is) while its etcd keeps the cluster's state; {@link #close} starts it again with the command
 * line, working directory and environment it ran with, on the same port and certificates, and
 * returns once {@code /readyz} answers ok to the control plane's own client configuration.
 */
public final class ApiServerOutage implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiServerOutage.class);

  /**
   * A SIGTERM'd kube-apiserver waits on the watches its clients hold open: in the chaos campaign's
   * cluster it still ran 30 s later, their websockets open until SIGKILL. The fault is its process
   * ended, not a graceful drain.
   */
  private static final Duration TERM_LIMIT = Duration.ofSeconds(5);

  private static final Duration KILL_LIMIT = Duration.ofSeconds(10);
  private static final Duration READY_LIMIT = Duration.ofSeconds(120);
  private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);

  /**
   * A kubelet starts a static-pod API server again when it exits; one restart in a campaign exited
   * with 1 before it was ready (its log went with the control plane's directory), so a start is
   * tried this often, each exit logged with the end of its own log, before the outage counts as the
   * harness's failure.
   */
  private static final int START_ATTEMPTS = 3;

  private static final int TAIL_LINES = 30;

  private static final AtomicInteger RESTARTS = new AtomicInteger();

  private final ControlPlane controlPlane;
  private final List<String> command;
  private final Path directory;
  private final Map<String, String> environment;
  private final Instant stopped;
  private Instant back;

  private ApiServerOutage(
      ControlPlane controlPlane,
      List<String> command,
      Path directory,
      Map<String, String> environment,
      Instant stopped) {
    this.controlPlane = controlPlane;
    this.command = command;
    this.directory = directory;
    this.environment = environment;
    this.stopped = stopped;
  }

  static ApiServerOutage begin(ControlPlane controlPlane) {
    long pid = controlPlane.apiServerPid();
    Path proc = Path.of("/proc", Long.toString(pid));
    List<String> command;
    Path directory;
    Map<String, String> environment = new HashMap<>();
    try {
      // Read before the process ends: afterwards nothing tells how it was started.
      command = nulSeparated(proc.resolve("cmdline"));
      directory = Files.readSymbolicLink(proc.resolve("cwd"));
      for (String entry : nulSeparated(proc.resolve("environ"))) {
        int eq = entry.indexOf('=');
        if (eq > 0) {
          environment.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read how kube-apiserver " + pid + " runs", e);
    }
    ProcessHandle process =
        ProcessHandle.of(pid)
            .orElseThrow(() -> new IllegalStateException("kube-apiserver " + pid + " is gone"));
    controlPlane.expectApiServerExit(pid);
    Instant told = Instant.now();
    process.destroy();
    if (!ended(process, TERM_LIMIT)) {
      log.info("kube-apiserver {} still runs {} after SIGTERM; killing it", pid, TERM_LIMIT);
      process.destroyForcibly();
      if (!ended(process, KILL_LIMIT)) {
        throw new IllegalStateException("kube-apiserver " + pid + " survived SIGKILL");
      }
    }
    Instant gone = Instant.now();
    log.info(
        "kube-apiserver {} stopped in {} ms (kube-api-test logs an unexpected stop; its etcd runs"
            + " on)",
        pid,
        Duration.between(told, gone).toMillis());
    return new ApiServerOutage(controlPlane, command, directory, environment, gone);
  }

  /** When its process had ended: from then on nothing could change through it. */
  public Instant stopped() {
    return stopped;
  }

  /** When it answered ready again; null while the outage lasts. */
  public synchronized Instant back() {
    return back;
  }

  /** Starts the API server again and waits until it is ready. */
  @Override
  public synchronized void close() {
    if (back != null) {
      return;
    }
    int restart = RESTARTS.incrementAndGet();
    for (int attempt = 1; ; attempt++) {
      // One log per start, kept with the control plane's: an exit is explained by its own log.
      Path logFile =
          controlPlane
              .workDir()
              .resolve("kube-apiserver-restarted-" + restart + "-" + attempt + ".log");
      Process restarted = start(logFile);
      Instant started = Instant.now();
      try {
        awaitReady(restarted, logFile);
      } catch (ExitedBeforeReady e) {
        String tail = tail(logFile);
        if (attempt >= START_ATTEMPTS) {
          throw new IllegalStateException(
              "kube-apiserver "
                  + e.getMessage()
                  + ", at each of "
                  + START_ATTEMPTS
                  + " starts; the last log ends:\n"
                  + tail,
              e);
        }
        log.warn(
            "kube-apiserver {} {} after {} ms, started again as a kubelet would; its log"
                + " ends:\n{}",
            restarted.pid(),
            e.getMessage(),
            Duration.between(started, Instant.now()).toMillis(),
            tail);
        continue;
      }
      back = Instant.now();
      log.info(
          "kube-apiserver {} ready again {} ms after its start, {} ms after it was stopped (log"
              + " {})",
          restarted.pid(),
          Duration.between(started, back).toMillis(),
          Duration.between(stopped, back).toMillis(),
          logFile);
      return;
    }
  }

  private Process start(Path logFile) {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process restarted;
    try {
      restarted = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start kube-apiserver again", e);
    }
    controlPlane.adoptApiServer(restarted);
    return restarted;
  }

  /** The process ended before it answered ready. */
  private static final class ExitedBeforeReady extends RuntimeException {
    ExitedBeforeReady(String message) {
      super(message);
    }
  }

  private static String tail(Path logFile) {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  private void awaitReady(Process restarted, Path logFile) {
    // No retries inside the client: each probe must fail fast while the port is still closed.
    var config =
        new ConfigBuilder(controlPlane.config())
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(1_000)
            .withRequestTimeout(2_000)
            .build();
    Instant deadline = Instant.now().plus(READY_LIMIT);
    String last = "no answer";
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      while (Instant.now().isBefore(deadline)) {
        if (!restarted.isAlive()) {
          throw new ExitedBeforeReady(
              "exited with " + restarted.exitValue() + " before it was ready");
        }
        try {
          String answer = client.raw("/readyz");
          if ("ok".equals(answer)) {
            return;
          }
          last = String.valueOf(answer);
        } catch (RuntimeException notYet) {
          last = notYet.toString();
        }
        pause();
      }
    }
    throw new IllegalStateException(
        "kube-apiserver not ready within " + READY_LIMIT + ": " + last + "; see " + logFile);
  }

  private static void pause() {
    try {
      Thread.sleep(PROBE_INTERVAL.toMillis()); // between probes of a server still starting
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while kube-apiserver starts", e);
    }
  }

  private static boolean ended(ProcessHandle process, Duration limit) {
    try {
      process.onExit().get(limit.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while kube-apiserver stops", e);
    }
  }

  private static List<String> nulSeparated(Path file) throws IOException {
    // Each entry ends with a NUL; an argument may itself be empty.
    String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    if (text.isEmpty()) {
      return List.of();
    }
    String entries = text.endsWith("\0") ? text.substring(0, text.length() - 1) : text;
    return Arrays.asList(entries.split("\0", -1));
  }
}
