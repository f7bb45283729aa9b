package dev.operator.lightning.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A local command with a deadline, for probes, exec and clients on the pod network. */
final class LocalCommand {
  private LocalCommand() {}

  /** Runs a command with a clean environment and a deadline, capturing its output. */
  static SandboxKubelet.ExecResult run(
      List<String> cmd, Map<String, String> env, Duration timeout) {
    return run(cmd, env, null, timeout);
  }

  /** Runs a command with the host's environment, {@code input} on its standard input. */
  static SandboxKubelet.ExecResult runWithInput(List<String> cmd, String input, Duration timeout) {
    return run(cmd, null, input, timeout);
  }

  private static SandboxKubelet.ExecResult run(
      List<String> cmd, Map<String, String> env, String input, Duration timeout) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      if (env != null) {
        pb.environment().clear();
        pb.environment().putAll(env);
      }
      Process p = pb.start();
      try (var stdin = p.getOutputStream()) {
        if (input != null) {
          stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
      }
      var out = new java.io.ByteArrayOutputStream();
      Thread reader =
          new Thread(
              () -> {
                try {
                  p.getInputStream().transferTo(out);
                } catch (IOException e) {
                  // process gone
                }
              });
      reader.setDaemon(true);
      reader.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return new SandboxKubelet.ExecResult(-1, "timed out after " + timeout.toMillis() + " ms");
      }
      reader.join(1000);
      return new SandboxKubelet.ExecResult(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new SandboxKubelet.ExecResult(-1, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new SandboxKubelet.ExecResult(-1, "interrupted");
    }
  }
}
