package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.model.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The JOSDK entry point: wakes on changes to a cluster or anything it owns or references, and hands
 * the cluster to {@link ClusterReconciliation}, which writes status itself (only on change).
 */
@ControllerConfiguration(name = "lightningcluster")
public final class LightningClusterReconciler implements Reconciler<LightningCluster> {
  private final ClusterReconciliation reconciliation;
  private final SimpleInboundEventSource<LightningCluster> electionEvents;
  private final Timer reconcileTimer;

  /**
   * @param electionEvents the source the election observer feeds; registered here so that a leader
   *     change wakes the reconciler at once
   */
  public LightningClusterReconciler(
      ClusterReconciliation reconciliation,
      SimpleInboundEventSource<LightningCluster> electionEvents,
      Timer reconcileTimer) {
    this.reconciliation = reconciliation;
    this.electionEvents = electionEvents;
    this.reconcileTimer = reconcileTimer;
  }

  @Override
  public UpdateControl<LightningCluster> reconcile(
      LightningCluster cluster, Context<LightningCluster> context) {
    Duration next =
        reconcileTimer.record(
            () -> reconciliation.reconcile(cluster, context.getPrimaryCache().list().toList()));
    return UpdateControl.<LightningCluster>noUpdate().rescheduleAfter(next);
  }

  /** Forgets clusters that no longer exist (no finalizer is needed for that). */
  public void sweep(Set<ResourceID> existing) {
    reconciliation.forgetAllBut(existing);
  }

  @Override
  public List<EventSource<?, LightningCluster>> prepareEventSources(
      EventSourceContext<LightningCluster> context) {
    List<EventSource<?, LightningCluster>> sources = new ArrayList<>();
    sources.add(electionEvents);
    for (Class<? extends HasMetadata> owned :
        List.of(
            Pod.class,
            StatefulSet.class,
            Service.class,
            EndpointSlice.class,
            PodDisruptionBudget.class)) {
      sources.add(ownedSource(owned, context));
    }
    // Secrets: the ones the cluster owns, and the user's ones it references, so that fixing a
    // missing Secret is noticed at once.
    sources.add(
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, LightningCluster.class)
                .withName("secrets")
                .withSecondaryToPrimaryMapper(
                    (Secret s) -> {
                      Set<ResourceID> ids =
                          Mappers.<Secret>fromOwnerReferences(LightningCluster.class)
                              .toPrimaryResourceIDs(s);
                      String ns = s.getMetadata().getNamespace();
                      return java.util.stream.Stream.concat(
                              ids.stream(),
                              context
                                  .getPrimaryCache()
                                  .list(ns)
                                  .filter(c -> References.of(c).contains(s.getMetadata().getName()))
                                  .map(ResourceID::fromResource))
                          .collect(Collectors.toSet());
                    })
                .build(),
            context));
    return sources;
  }

  private static <R extends HasMetadata> EventSource<?, LightningCluster> ownedSource(
      Class<R> type, EventSourceContext<LightningCluster> context) {
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(type, LightningCluster.class)
            .withName(type.getSimpleName().toLowerCase())
            .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGER)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(LightningCluster.class))
            .build(),
        context);
  }

  /** Names of the user Secrets a cluster's spec points at. */
  static final class References {
    static Set<String> of(LightningCluster c) {
      var s = c.getSpec();
      java.util.stream.Stream<String> names =
          java.util.stream.Stream.of(
              s.wallet != null && s.wallet.passwordSecretRef != null
                  ? s.wallet.passwordSecretRef.name
                  : null,
              s.chain != null
                      && s.chain.bitcoind != null
                      && s.chain.bitcoind.rpcCredentialsSecretRef != null
                  ? s.chain.bitcoind.rpcCredentialsSecretRef.name
                  : null,
              s.etcd != null && s.etcd.external != null && s.etcd.external.tlsSecretRef != null
                  ? s.etcd.external.tlsSecretRef.name
                  : null,
              s.etcd != null
                      && s.etcd.external != null
                      && s.etcd.external.credentialsSecretRef != null
                  ? s.etcd.external.credentialsSecretRef.name
                  : null);
      return names.filter(Objects::nonNull).collect(Collectors.toSet());
    }
  }
}
