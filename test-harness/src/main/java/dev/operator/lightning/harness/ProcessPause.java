package dev.operator.lightning.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Freezes a container's process and everything it started with SIGSTOP, as a stalled node, a paused
 * VM or a long garbage-collection pause would: the process keeps its sockets and its belief that it
 * leads, but sends nothing (no lease keep-alive) and answers nothing. {@link #close} sends SIGCONT
 * to the same processes.
 */
public final class ProcessPause implements AutoCloseable {
  private final List<Long> pids;

  private ProcessPause(List<Long> pids) {
    this.pids = pids;
  }

  /** SIGSTOP to the process and its descendants. */
  public static ProcessPause of(long pid) {
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    signal("-STOP", pids);
    return new ProcessPause(pids);
  }

  /** SIGCONT: the processes run on from where they stopped. */
  @Override
  public void close() {
    signal("-CONT", pids);
  }

  private static void signal(String signal, List<Long> pids) {
    List<String> cmd = new ArrayList<>(List.of("kill", signal));
    pids.forEach(p -> cmd.add(Long.toString(p)));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(
            "kill "
                + signal
                + " "
                + pids
                + " failed: "
                + new String(p.getInputStream().readAllBytes()));
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException("kill " + signal + " " + pids, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending " + signal, e);
    }
  }
}
