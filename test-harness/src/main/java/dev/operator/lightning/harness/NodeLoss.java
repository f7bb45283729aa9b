package dev.operator.lightning.harness;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lost node, as a partitioned one: its kubelet stops reporting to the API server and every pod on
 * it is cut off from the network, while their processes keep running and believe what they
 * believed. The control plane can only see heartbeats stop; nothing confirms the processes dead.
 * Closing it brings the node back: the pods' network first, then the kubelet, which catches up with
 * what changed meanwhile.
 */
public final class NodeLoss implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeLoss.class);

  private final SandboxKubelet kubelet;
  private final List<PodPartition> cuts = new ArrayList<>();
  private final List<String> pods;

  private NodeLoss(SandboxKubelet kubelet) {
    this.kubelet = kubelet;
    this.pods = kubelet.podNames();
  }

  /** Loses the node: kubelet silent first, so no status can report the cut. */
  public static NodeLoss of(SandboxKubelet kubelet) {
    NodeLoss loss = new NodeLoss(kubelet);
    kubelet.disconnect();
    try {
      for (String pod : loss.pods) {
        String netns = kubelet.netns(pod);
        if (netns != null) {
          loss.cuts.add(PodPartition.isolate(netns));
        }
      }
    } catch (RuntimeException e) {
      loss.close();
      throw e;
    }
    log.info("node {} lost with pods {}", kubelet.node().name(), loss.pods);
    return loss;
  }

  /** The pods that were running on the node when it was lost. */
  public List<String> pods() {
    return pods;
  }

  @Override
  public void close() {
    cuts.forEach(PodPartition::close);
    cuts.clear();
    kubelet.reconnect();
    log.info("node {} back", kubelet.node().name());
  }
}
