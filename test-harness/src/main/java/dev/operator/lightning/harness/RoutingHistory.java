package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Every version of one EndpointSlice as a watch of the monitor's own delivers it: which members it
 * routes to as ready (what a Service proxy sends traffic to), and when it was seen.
 */
public final class RoutingHistory implements AutoCloseable {
  /**
   * One version: the members whose endpoints are ready (an endpoint with no target: "?"), and the
   * etcd revision at which the operator wrote that its member held the election (-1: none).
   */
  public record Version(
      Instant seen, String resourceVersion, List<String> ready, long electionRevision) {
    public Version(Instant seen, String resourceVersion, List<String> ready) {
      this(seen, resourceVersion, ready, -1);
    }
  }

  /** The annotation the operator writes the election revision into. */
  static final String ELECTION_REVISION = "lightning.operator.dev/election-revision";

  private final List<Version> versions = new ArrayList<>();
  private final ResumingWatch<EndpointSlice> watch;

  public RoutingHistory(KubernetesClient client, String namespace, String slice) {
    var current = client.discovery().v1().endpointSlices().inNamespace(namespace).withName(slice);
    EndpointSlice now = current.get();
    if (now != null) {
      seen(now);
    }
    this.watch =
        ResumingWatch.of(
            "slice " + slice,
            current,
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, EndpointSlice s) {
                if (action == Action.DELETED) {
                  record(new Version(Instant.now(), null, List.of()));
                } else {
                  seen(s);
                }
              }

              @Override
              public void onClose(WatcherException cause) {}
            });
  }

  private void seen(EndpointSlice s) {
    List<String> ready = new ArrayList<>();
    for (Endpoint e : s.getEndpoints() == null ? List.<Endpoint>of() : s.getEndpoints()) {
      boolean isReady =
          e.getConditions() == null
              || e.getConditions().getReady() == null
              || e.getConditions().getReady();
      if (isReady) {
        ready.add(e.getTargetRef() == null ? "?" : e.getTargetRef().getName());
      }
    }
    String revision =
        s.getMetadata().getAnnotations() == null
            ? null
            : s.getMetadata().getAnnotations().get(ELECTION_REVISION);
    record(
        new Version(
            Instant.now(),
            s.getMetadata().getResourceVersion(),
            ready,
            electionRevision(revision)));
  }

  /** The annotation's election revision: -1 when there is none, -2 when it is not a number. */
  public static long electionRevision(String annotation) {
    if (annotation == null) {
      return -1;
    }
    try {
      return Long.parseLong(annotation);
    } catch (NumberFormatException e) {
      return -2;
    }
  }

  private synchronized void record(Version v) {
    // Watching again delivers the version last seen once more: no new version.
    if (v.resourceVersion() != null
        && !versions.isEmpty()
        && v.resourceVersion().equals(versions.get(versions.size() - 1).resourceVersion())) {
      return;
    }
    versions.add(v);
  }

  /**
   * Watches again now, after the API server came back: the client's own next attempt may be tens of
   * seconds later, and a version seen late counts as a late one.
   */
  public void watchAgain() {
    watch.restart();
  }

  /** Every version so far, oldest first. */
  public synchronized List<Version> versions() {
    return List.copyOf(versions);
  }

  @Override
  public void close() {
    watch.close();
  }
}
