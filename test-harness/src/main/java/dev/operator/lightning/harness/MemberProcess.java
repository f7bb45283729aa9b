package dev.operator.lightning.harness;

/** One running LND member as the harness kubelet sees it: a stand-in or the real binary. */
public interface MemberProcess {
  /** LND's /v1/state, or NON_EXISTING-like answers; null when it cannot be read. */
  String state();

  default boolean active() {
    String s = state();
    return "RPC_ACTIVE".equals(s) || "SERVER_ACTIVE".equals(s);
  }

  /** Whether the process ended on its own (a container exit). */
  boolean exited();

  /** SIGKILL. */
  void crash();

  /** SIGTERM, waiting for the process to end. */
  void shutdownGracefully();
}
