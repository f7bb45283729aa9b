package dev.operator.lightning.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A network partition of one pod from a set of peers (host:port), as real packet drops: iptables
 * rules inside the pod's network namespace drop what it sends to them and what they answer. The pod
 * keeps every other connection (to the operator, its clients, its peers), so this cuts a leader off
 * from etcd only. Closing it heals the partition.
 */
public final class PodPartition implements AutoCloseable {
  private static final Duration COMMAND_LIMIT = Duration.ofSeconds(10);

  private final String netns;
  private final List<List<String>> rules = new ArrayList<>();

  private PodPartition(String netns) {
    this.netns = netns;
  }

  /**
   * @param peers ip:port pairs the pod can no longer reach (TCP)
   */
  public static PodPartition cut(String netns, List<String> peers) {
    PodPartition p = new PodPartition(netns);
    try {
      for (String peer : peers) {
        String ip = peer.substring(0, peer.lastIndexOf(':'));
        String port = peer.substring(peer.lastIndexOf(':') + 1);
        p.add(List.of("OUTPUT", "-p", "tcp", "-d", ip, "--dport", port, "-j", "DROP"));
        p.add(List.of("INPUT", "-p", "tcp", "-s", ip, "--sport", port, "-j", "DROP"));
      }
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
    return p;
  }

  /**
   * Cuts the pod off from everything but itself: every packet in or out of its network namespace
   * except on loopback is dropped, as for a pod on a partitioned node.
   */
  public static PodPartition isolate(String netns) {
    PodPartition p = new PodPartition(netns);
    try {
      p.add(List.of("OUTPUT", "!", "-o", "lo", "-j", "DROP"));
      p.add(List.of("INPUT", "!", "-i", "lo", "-j", "DROP"));
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
    return p;
  }

  private void add(List<String> rule) {
    iptables("-I", rule);
    rules.add(rule);
  }

  private void iptables(String action, List<String> rule) {
    List<String> cmd = new ArrayList<>(PodNetwork.execIn(netns));
    cmd.add("iptables");
    cmd.add("-w");
    cmd.add(action);
    cmd.addAll(rule);
    var r = LocalCommand.run(cmd, null, COMMAND_LIMIT);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          "iptables " + action + " " + rule + " in " + netns + " failed: " + r.output());
    }
  }

  /** Heals the partition: the rules go, established connections resume or reset. */
  @Override
  public void close() {
    for (List<String> rule : rules) {
      try {
        iptables("-D", rule);
      } catch (RuntimeException e) {
        // The namespace may already be gone with its pod.
      }
    }
    rules.clear();
  }
}
