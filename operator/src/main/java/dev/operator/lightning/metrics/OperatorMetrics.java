package dev.operator.lightning.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;

/** The operator's own meters, beside JOSDK's. Names are Prometheus-style once exported. */
public final class OperatorMetrics {
  private final MeterRegistry registry;

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters that go nowhere, for tests and tools that do not export them. */
  public static OperatorMetrics discarding() {
    return new OperatorMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void leaderChanged(String cluster) {
    Counter.builder("lightning.leader.changes")
        .description("Leader changes observed in etcd")
        .tag("cluster", cluster)
        .register(registry)
        .increment();
  }

  public void leaseRevoked(String cluster) {
    Counter.builder("lightning.lease.revocations")
        .description("Leases of confirmed-dead leaders revoked by the operator")
        .tag("cluster", cluster)
        .register(registry)
        .increment();
  }

  public void fenced(String cluster) {
    Counter.builder("lightning.members.fenced")
        .description("Members stopped for claiming to be active without leadership")
        .tag("cluster", cluster)
        .register(registry)
        .increment();
  }

  /** An event dropped because too many wait to be posted (the API server is slow or away). */
  public void eventDropped() {
    Counter.builder("lightning.events.dropped")
        .description("Kubernetes Events dropped because their queue was full")
        .register(registry)
        .increment();
  }

  /** Delay from the observer seeing a leader change to the EndpointSlice being written. */
  public void routingDelay(Duration delay) {
    Timer.builder("lightning.election.to.endpoints")
        .description("Election change in etcd to leader EndpointSlice written")
        .publishPercentileHistogram()
        .register(registry)
        .record(delay);
  }

  /** A channel peer disconnected and dialled again because lnd left its link down. */
  public void peerReconnected(String cluster) {
    Counter.builder("lightning.channel.peer.reconnections")
        .description("Channel peers reconnected because lnd left a channel's link down")
        .tag("cluster", cluster)
        .register(registry)
        .increment();
  }

  /** A channel peer lnd left unconnected, dialled through ConnectPeer. */
  public void peerDialled(String cluster) {
    Counter.builder("lightning.channel.peer.dials")
        .description("Channel peers dialled because lnd left them unconnected")
        .tag("cluster", cluster)
        .register(registry)
        .increment();
  }

  /**
   * How many clusters a pass has gone over to the end since this operator process started: after a
   * restart, the resync is complete when it reaches the number of clusters.
   */
  public void clustersConfirmed(java.util.Collection<?> confirmed) {
    io.micrometer.core.instrument.Gauge.builder(
            "lightning.clusters.confirmed", confirmed, java.util.Collection::size)
        .description("Clusters whose pass completed since the operator started")
        .register(registry);
  }

  public Timer reconcileTimer() {
    return Timer.builder("lightning.reconcile")
        .description("Duration of one reconcile pass")
        .publishPercentileHistogram()
        .register(registry);
  }
}
