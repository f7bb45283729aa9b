package dev.operator.lightning.reconcile;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.election.Candidate;
import dev.operator.lightning.election.ElectionObserver;
import dev.operator.lightning.election.ElectionView;
import dev.operator.lightning.metrics.OperatorMetrics;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the members a plan names because they could act beside the leader: one that claims to be
 * active without holding leadership, a deposed leader whose process still runs, a follower waiting
 * without a key in the election. Each stop is confirmed against etcd read afresh first, since the
 * watch may lag an election by a few milliseconds.
 */
final class Fencing {
  private static final Logger log = LoggerFactory.getLogger(Fencing.class);

  private final KubernetesClient client;
  private final ElectionObserver observer;
  private final ClusterEvents events;
  private final OperatorMetrics metrics;

  Fencing(
      KubernetesClient client,
      ElectionObserver observer,
      ClusterEvents events,
      OperatorMetrics metrics) {
    this.client = client;
    this.observer = observer;
    this.events = events;
    this.metrics = metrics;
  }

  /** Fences the members the plan names: each claims to be active without holding leadership. */
  void fence(
      LightningCluster cluster, List<Pod> pods, List<String> fences, List<Problem> problems) {
    stopAll(
        cluster,
        pods,
        fences,
        NOT_LEADING,
        "Fenced",
        "reported an active LND state without holding leadership",
        problems);
  }

  /**
   * Fences the previous leaders the plan names: each lost the election while the process that led
   * still runs, and would believe it leads when it wakes or reconnects.
   */
  void fenceDeposed(
      LightningCluster cluster, List<Pod> pods, List<String> deposed, List<Problem> problems) {
    stopAll(
        cluster,
        pods,
        deposed,
        NOT_LEADING,
        "Fenced",
        "lost the election while the process that led still runs (frozen, cut off or on a node"
            + " that stopped reporting)",
        problems);
  }

  /**
   * Restarts the followers the plan names: each waits to start without a key in the election, and
   * would start as a leader beside the real one when its connection to etcd returns.
   */
  void restartOutOfElection(
      LightningCluster cluster, List<Pod> pods, List<String> members, List<Problem> problems) {
    stopAll(
        cluster,
        pods,
        members,
        (view, pod) -> view.candidates().stream().noneMatch(c -> c.clusterId().equals(pod)),
        "OutOfElection",
        "waits as a follower but holds no key in the election (its session ended while its"
            + " connection to etcd hung or broke; it would start as a leader when that connection"
            + " returns)",
        problems);
  }

  /** Whether etcd, read afresh, still warrants stopping the member. */
  private interface Confirmation {
    boolean holds(ElectionView fresh, String pod);
  }

  private static final Confirmation NOT_LEADING =
      (view, pod) -> view.leader().map(l -> !l.clusterId().equals(pod)).orElse(true);

  private void stopAll(
      LightningCluster cluster,
      List<Pod> pods,
      List<String> members,
      Confirmation confirmation,
      String reason,
      String why,
      List<Problem> problems) {
    String key = ElectionStep.key(cluster);
    for (String pod : members) {
      stop(cluster, key, pod, confirmation, reason, why, pods, problems);
    }
  }

  /**
   * Stops a member the plan names ({@code why} says for what), with the shortest grace period that
   * still lets Kubernetes confirm the end of its process (see {@link #FENCING_GRACE_SECONDS}).
   */
  private void stop(
      LightningCluster cluster,
      String key,
      String pod,
      Confirmation confirmation,
      String reason,
      String why,
      List<Pod> pods,
      List<Problem> problems) {
    try {
      // The watch may lag a fresh election by a few milliseconds: confirm against etcd itself.
      ElectionView fresh = observer.readNow(key);
      if (!fresh.synced() || !confirmation.holds(fresh, pod)) {
        return;
      }
      Optional<Candidate> leader = fresh.leader();
      Pod p =
          pods.stream()
              .filter(x -> x.getMetadata().getName().equals(pod))
              .findFirst()
              .orElseThrow();
      client
          .pods()
          .inNamespace(p.getMetadata().getNamespace())
          .withName(pod)
          .withGracePeriod(FENCING_GRACE_SECONDS)
          .delete();
      metrics.fenced(key);
      events.warning(
          cluster,
          reason,
          pod
              + " "
              + why
              + " ("
              + leader.map(Candidate::clusterId).orElse("no leader")
              + " leads); its pod was deleted with a grace period of "
              + FENCING_GRACE_SECONDS
              + " s");
    } catch (Exception e) {
      String message =
          "stopping "
              + pod
              + ", which "
              + why
              + ", failed: "
              + ElectionStep.describe(e)
              + "; retrying";
      log.warn("{}: {}", key, message);
      problems.add(new Problem(Problem.FENCING_FAILED, message));
      events.warning(cluster, Problem.FENCING_FAILED, message);
    }
  }

  /**
   * Grace period of a fencing deletion. Zero would be a forced deletion: the API server drops the
   * pod object at once while its process may still run on an unreachable node, and a new pod of the
   * same name (the same cluster.id) could then campaign beside it. One second is the shortest
   * graceful one: the kubelet sends SIGTERM, kills the process a second later and only then lets
   * the pod go.
   */
  static final long FENCING_GRACE_SECONDS = 1;
}
