package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.api.SecretRef;
import dev.operator.lightning.model.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
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
  private final ClusterReads reads;
  private volatile io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache<
          LightningCluster>
      primaryCache;

  /**
   * @param reads the reads of every pass, given the informer caches registered here
   * @param electionEvents the source the election observer feeds; registered here so that a leader
   *     change wakes the reconciler at once
   */
  public LightningClusterReconciler(
      ClusterReconciliation reconciliation,
      ClusterReads reads,
      SimpleInboundEventSource<LightningCluster> electionEvents,
      Timer reconcileTimer) {
    this.reconciliation = reconciliation;
    this.reads = reads;
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

  /**
   * Forgets clusters that no longer exist (no finalizer is needed for that), as the informer of
   * clusters has them: every cluster a pass has seen was in that cache first, so none that exists
   * is forgotten, and the sweep costs the API server nothing.
   */
  public void sweep() {
    var cache = primaryCache;
    if (cache != null) {
      List<LightningCluster> all = cache.list().toList();
      reconciliation.forgetAllBut(
          all.stream().map(ResourceID::fromResource).collect(Collectors.toSet()),
          all.stream().map(c -> c.getMetadata().getUid()).collect(Collectors.toSet()));
    }
  }

  @Override
  public List<EventSource<?, LightningCluster>> prepareEventSources(
      EventSourceContext<LightningCluster> context) {
    primaryCache = context.getPrimaryCache();
    List<EventSource<?, LightningCluster>> sources = new ArrayList<>();
    sources.add(electionEvents);
    sources.add(owned(Pod.class, context));
    sources.add(owned(StatefulSet.class, context));
    sources.add(owned(Service.class, context));
    sources.add(owned(EndpointSlice.class, context));
    sources.add(owned(PodDisruptionBudget.class, context));
    sources.add(owned(NetworkPolicy.class, context));
    // Secrets the operator writes carry its labels; the kept ones (seed, channel backup) have no
    // owner, so they map to their cluster by its label.
    InformerEventSource<Secret, LightningCluster> ownedSecrets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, LightningCluster.class)
                .withName("secrets")
                .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGER)
                .withInformerListLimit(INFORMER_LIST_LIMIT)
                .withSecondaryToPrimaryMapper(
                    (Secret s) -> {
                      Set<ResourceID> ids =
                          new java.util.HashSet<>(
                              Mappers.<Secret>fromOwnerReferences(LightningCluster.class)
                                  .toPrimaryResourceIDs(s));
                      String cluster =
                          s.getMetadata().getLabels() == null
                              ? null
                              : s.getMetadata().getLabels().get(Labels.CLUSTER);
                      if (cluster != null) {
                        ids.add(new ResourceID(cluster, s.getMetadata().getNamespace()));
                      }
                      return ids;
                    })
                .build(),
            context);
    // The user's Secrets a spec points at, labelled by the operator when it first reads them, so
    // that fixing or rotating one is noticed at once and no other Secret is cached.
    InformerEventSource<Secret, LightningCluster> referencedSecrets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, LightningCluster.class)
                .withName("referencedsecrets")
                .withLabelSelector(ClusterReads.REFERENCED + "=true")
                .withInformerListLimit(INFORMER_LIST_LIMIT)
                .withSecondaryToPrimaryMapper(
                    (Secret s) ->
                        context
                            .getPrimaryCache()
                            .list(s.getMetadata().getNamespace())
                            .filter(c -> References.of(c).contains(s.getMetadata().getName()))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    sources.add(ownedSecrets);
    sources.add(referencedSecrets);
    reads.secrets(new InformerCache<>(ownedSecrets), new InformerCache<>(referencedSecrets));
    return sources;
  }

  /**
   * Page size of the informers' initial and re-lists. At 1,000 clusters the operator owns 3,000
   * member pods and several Secrets per cluster (CA, TLS, lnd.conf, wallet password, seed,
   * macaroons); listed in one response, a relist (after a watch fell too far behind) would hold the
   * whole kind in the API server's and the operator's memory at once.
   */
  static final long INFORMER_LIST_LIMIT = 500;

  /** An informer over one owned kind, restricted to the operator's label, read as its cache. */
  private <R extends HasMetadata> EventSource<?, LightningCluster> owned(
      Class<R> type, EventSourceContext<LightningCluster> context) {
    InformerEventSource<R, LightningCluster> source =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(type, LightningCluster.class)
                .withName(type.getSimpleName().toLowerCase())
                .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGER)
                .withInformerListLimit(INFORMER_LIST_LIMIT)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(LightningCluster.class))
                .build(),
            context);
    reads.cache(type, new InformerCache<>(source));
    return source;
  }

  /** Names of the user Secrets a cluster's spec points at (all in the cluster's namespace). */
  static final class References {
    static Set<String> of(LightningCluster c) {
      var s = c.getSpec();
      if (s == null) {
        return Set.of();
      }
      List<Object> refs = new ArrayList<>();
      if (s.wallet != null) {
        refs.add(s.wallet.passwordSecretRef);
        refs.add(s.wallet.seedSecretRef);
        refs.add(s.wallet.channelBackupSecretRef);
      }
      if (s.chain != null && s.chain.bitcoind != null) {
        refs.add(s.chain.bitcoind.rpcCredentialsSecretRef);
      }
      if (s.chain != null && s.chain.btcd != null) {
        refs.add(s.chain.btcd.rpcCredentialsSecretRef);
        refs.add(s.chain.btcd.rpcCertSecretRef);
      }
      if (s.etcd != null && s.etcd.external != null) {
        refs.add(s.etcd.external.tlsSecretRef);
        refs.add(s.etcd.external.credentialsSecretRef);
      }
      if (s.database != null && s.database.postgres != null) {
        refs.add(s.database.postgres.dsnSecretRef);
        refs.add(s.database.postgres.caSecretRef);
      }
      return refs.stream()
          .map(
              r ->
                  r instanceof SecretRef sr
                      ? sr.name
                      : r instanceof SecretKeyRef kr ? kr.name : null)
          .filter(Objects::nonNull)
          .collect(Collectors.toSet());
    }
  }
}
