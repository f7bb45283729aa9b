package dev.operator.lightning.harness;

/** Stopping the local processes the harness starts, the way a kubelet stops a container. */
final class Processes {
  private Processes() {}

  /**
   * SIGKILL ({@code kill}) or SIGTERM, then waits for the process to end. A null process is already
   * stopped.
   */
  static void stop(Process process, boolean kill) {
    if (process == null) {
      return;
    }
    if (kill) {
      process.destroyForcibly();
    } else {
      process.destroy();
    }
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
