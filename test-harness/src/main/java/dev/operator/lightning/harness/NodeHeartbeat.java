package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a kubelet tells the control plane about its node: the Node object with its hostname and zone
 * labels and its capacity, the Ready condition, and the node Lease in {@code kube-node-lease}
 * renewed every {@value #RENEW_MILLIS} ms. The node lifecycle controller judges the node by these
 * heartbeats alone, so stopping them is what losing the node looks like from the control plane.
 */
final class NodeHeartbeat implements AutoCloseable {
  static final long RENEW_MILLIS = 1_000;
  // A real kubelet writes its status every 10 s (nodeStatusUpdateFrequency) when nothing changed.
  private static final long STATUS_EVERY = 10;
  private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);
  private static final DateTimeFormatter MICRO =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  private final KubernetesClient client;
  private final LocalNode node;
  private final String address;
  private final ScheduledFuture<?> beat;
  private volatile boolean beating = true;
  private long beats;

  NodeHeartbeat(
      KubernetesClient client, LocalNode node, String address, ScheduledExecutorService loop) {
    this.client = client;
    this.node = node;
    this.address = address;
    register();
    postStatus();
    renewLease();
    this.beat =
        loop.scheduleWithFixedDelay(this::beat, RENEW_MILLIS, RENEW_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Stops every heartbeat, as a node cut off from the API server. */
  void stop() {
    beating = false;
  }

  /** Resumes the heartbeats at once, the Ready condition first. */
  synchronized void resume() {
    beating = true;
    postStatus();
    renewLease();
  }

  private synchronized void beat() {
    if (!beating) {
      return;
    }
    try {
      renewLease();
      if (++beats % STATUS_EVERY == 0) {
        postStatus();
      }
    } catch (RuntimeException e) {
      log.debug("node {}: heartbeat not written: {}", node.name(), e.getMessage());
    }
  }

  private void register() {
    var object =
        new NodeBuilder()
            .withNewMetadata()
            .withName(node.name())
            .withLabels(
                Map.of(
                    LocalNode.HOSTNAME_LABEL,
                    node.name(),
                    LocalNode.ZONE_LABEL,
                    node.zone(),
                    "kubernetes.io/os",
                    "linux"))
            .endMetadata()
            .withNewSpec()
            .withTaints(
                node.outside()
                    ? List.of(
                        new io.fabric8.kubernetes.api.model.TaintBuilder()
                            .withKey(LocalNode.OUTSIDE_TAINT)
                            .withEffect("NoSchedule")
                            .build())
                    : List.of())
            .endSpec()
            .build();
    try {
      client.nodes().resource(object).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  /**
   * Ready, with a capacity large enough for every pod the tests run: the processes share the host,
   * and the scheduler needs an allocatable figure to place pods that request resources.
   */
  private void postStatus() {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, io.fabric8.kubernetes.api.model.Quantity> capacity =
        Map.of(
            "cpu", new io.fabric8.kubernetes.api.model.Quantity("32"),
            "memory", new io.fabric8.kubernetes.api.model.Quantity("128Gi"),
            "pods", new io.fabric8.kubernetes.api.model.Quantity("250"),
            "ephemeral-storage", new io.fabric8.kubernetes.api.model.Quantity("500Gi"));
    var status =
        new NodeBuilder()
            .withNewStatus()
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .withReason("KubeletReady")
            .withMessage("local kubelet is posting ready status")
            .withLastHeartbeatTime(now)
            .endCondition()
            .addNewAddress()
            .withType("InternalIP")
            .withAddress(address)
            .endAddress()
            .addNewAddress()
            .withType("Hostname")
            .withAddress(node.name())
            .endAddress()
            .withCapacity(capacity)
            .withAllocatable(capacity)
            .endStatus()
            .build();
    client
        .nodes()
        .withName(node.name())
        .subresource("status")
        .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), status);
  }

  private void renewLease() {
    String renewed = ZonedDateTime.now(ZoneOffset.UTC).format(MICRO);
    var leases = client.leases().inNamespace("kube-node-lease");
    Lease current = leases.withName(node.name()).get();
    if (current == null) {
      leases
          .resource(
              new LeaseBuilder()
                  .withNewMetadata()
                  .withName(node.name())
                  .endMetadata()
                  .withNewSpec()
                  .withHolderIdentity(node.name())
                  .withLeaseDurationSeconds(4)
                  .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                  .endSpec()
                  .build())
          .create();
      return;
    }
    leases
        .withName(node.name())
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"renewTime\":\"" + renewed + "\"}}");
  }

  @Override
  public void close() {
    beat.cancel(false);
  }
}
