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
    if (!signal("-STOP", pid)) {
      throw new IllegalStateException("cannot stop process " + pid + ": it is gone");
    }
    // A descendant that exited meanwhile needs no pause.
    pids.subList(1, pids.size()).forEach(p -> signal("-STOP", p));
    return new ProcessPause(pids);
  }

  /** SIGCONT: the processes run on from where they stopped (those still there). */
  @Override
  public void close() {
    pids.forEach(p -> signal("-CONT", p));
  }

  /** False when the process no longer exists. */
  private static boolean signal(String signal, long pid) {
    try {
      Process p =
          new ProcessBuilder("kill", signal, Long.toString(pid)).redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("kill " + signal + " " + pid + " did not return");
      }
      return p.exitValue() == 0;
    } catch (java.io.IOException e) {
      throw new IllegalStateException("kill " + signal + " " + pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending " + signal, e);
    }
  }
}
