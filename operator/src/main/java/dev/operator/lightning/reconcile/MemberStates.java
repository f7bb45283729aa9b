package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.MemberStatus;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.Names;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each member's readiness and LND state, as a pass observes them: the state read over HTTPS with a
 * client that trusts only the cluster's CA, on the shared bounded pools of {@link
 * MemberStateReads}.
 */
final class MemberStates {
  /** What LND's /v1/state answers while it waits to win the election. */
  static final String STANDBY_STATE = "WAITING_TO_START";

  private final MemberStateReads stateReads;
  private final Map<String, LndRestClient> clients = new ConcurrentHashMap<>();

  MemberStates(MemberStateReads stateReads) {
    this.stateReads = stateReads;
  }

  /** One REST client per cluster CA, trusting only that CA. */
  LndRestClient restClient(CertificateAuthority ca) {
    return clients.computeIfAbsent(ca.certificatePem(), k -> new LndRestClient(ca.certificate()));
  }

  /** Reads every member's /v1/state in parallel: a pass takes as long as the slowest one. */
  List<MemberStatus> observe(EffectiveSpec spec, List<Pod> pods, CertificateAuthority ca) {
    LndRestClient lnd = ca == null ? null : restClient(ca);
    Names n = spec.names();
    List<CompletableFuture<MemberStatus>> reads = new ArrayList<>();
    for (Pod p : pods) {
      String ip = p.getStatus() != null ? p.getStatus().getPodIP() : null;
      String host = p.getMetadata().getName() + "." + n.serviceHost(n.membersService());
      CompletableFuture<Optional<String>> state =
          lnd != null && ip != null
              ? stateReads.read(
                  p.getMetadata().getUid(), () -> lnd.state(host, MemberPaths.REST_PORT))
              : CompletableFuture.completedFuture(Optional.empty());
      reads.add(
          state.thenApply(
              s -> {
                // A follower's LND answers WAITING_TO_START and is never pod-Ready (readiness
                // means active), yet it is healthy: it stands by to take over.
                boolean available = isReady(p) || s.filter(STANDBY_STATE::equals).isPresent();
                return new MemberStatus(p.getMetadata().getName(), available, s.orElse(null), null);
              }));
    }
    return reads.stream().map(CompletableFuture::join).toList();
  }

  static boolean isReady(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
