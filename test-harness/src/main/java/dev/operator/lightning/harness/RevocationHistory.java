package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The lease revocations the operator claims, from its {@code LeaseRevoked} events as a watch of the
 * monitor's own delivers them: which member's lease, and when the monitor learnt of it. The monitor
 * holds each claim against what the kubelets saw run.
 */
public final class RevocationHistory implements AutoCloseable {
  static final String REASON = "LeaseRevoked";
  private static final String OF = "lease of ";
  private static final String BECAUSE = " because ";

  /** One claimed revocation of {@code member}'s election lease, seen at {@code seen}. */
  public record Revocation(Instant seen, String member) {}

  private final List<Revocation> revocations = new ArrayList<>();
  private final ResumingWatch<Event> watch;
  private final java.util.Set<String> seenEvents = new java.util.HashSet<>();

  public RevocationHistory(KubernetesClient client, String namespace) {
    this.watch =
        ResumingWatch.of(
            "revocation event",
            client.v1().events().inNamespace(namespace).withField("reason", REASON),
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, Event e) {
                if (action == Action.ADDED) {
                  String member = member(e.getMessage());
                  if (member != null) {
                    record(e.getMetadata().getUid(), new Revocation(Instant.now(), member));
                  }
                }
              }

              @Override
              public void onClose(WatcherException cause) {}
            });
  }

  /** The member an event message names: "revoked the election lease of M because ...". */
  static String member(String message) {
    if (message == null) {
      return null;
    }
    int start = message.indexOf(OF);
    int end = start < 0 ? -1 : message.indexOf(BECAUSE, start);
    return end < 0 ? null : message.substring(start + OF.length(), end);
  }

  private synchronized void record(String uid, Revocation r) {
    // Watching again after a restart of the API server delivers every event again as ADDED.
    if (uid == null || seenEvents.add(uid)) {
      revocations.add(r);
    }
  }

  /** Watches again now, after the API server came back (see {@link RoutingHistory#watchAgain}). */
  public void watchAgain() {
    watch.restart();
  }

  public synchronized List<Revocation> revocations() {
    return List.copyOf(revocations);
  }

  @Override
  public void close() {
    watch.close();
  }
}
