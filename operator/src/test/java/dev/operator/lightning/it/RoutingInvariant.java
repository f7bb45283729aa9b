package dev.operator.lightning.it;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Safety invariant 1, checked on every version of the leader EndpointSlice against an election
 * history the test records itself: never more than one endpoint, and that endpoint is the pod whose
 * cluster.id held the lowest-revision election key when the version was observed, give or take the
 * stated delays. The history comes from the test's own etcd watch (every key change with its
 * revision and arrival time), never from what the operator wrote into the slice, so a slice written
 * from a stale view is caught. Every version seen must be checked: a run that verifies fewer
 * versions than it saw fails.
 */
final class RoutingInvariant implements AutoCloseable {
  /**
   * How long a slice may still route a member after it lost the election: the operator's reaction
   * time (a pass starts from the watch event and rewrites the slice first), with room for a slow
   * machine.
   */
  static final Duration ROUTING_DELAY = Duration.ofSeconds(2);

  /**
   * How much earlier than the test's own etcd watch the operator may learn of a new leader and
   * route it: the two watches deliver independently.
   */
  static final Duration WATCH_SKEW = Duration.ofSeconds(1);

  /** One leader of the election from {@code since} on (null: none; UNKNOWN: not watched). */
  record Leadership(Instant since, long revision, String leader) {}

  /** The leader while the test's own watch is being listed again. */
  static final String UNKNOWN = "(election not watched)";

  /**
   * One version of the slice as the test's watch delivered it, with the election revision the
   * operator wrote on it (-1 when none).
   */
  record SliceVersion(
      Instant observed, String resourceVersion, List<String> endpoints, long electionRevision) {}

  private final List<Leadership> election = new ArrayList<>();
  private final List<SliceVersion> versions = new ArrayList<>();
  private final Map<String, KeyValue> candidates = new HashMap<>();
  private final Client etcd;
  private final ByteSequence prefix;
  private Watch.Watcher electionWatch;
  private boolean closed;
  private final io.fabric8.kubernetes.client.Watch sliceWatch;
  private int verified;

  RoutingInvariant(
      KubernetesClient k8s, String namespace, String slice, String etcdEndpoint, String prefix) {
    this.etcd = Client.builder().endpoints("http://" + etcdEndpoint).build();
    this.prefix = ByteSequence.from(prefix, StandardCharsets.UTF_8);
    try {
      follow();
    } catch (Exception e) {
      etcd.close();
      throw new IllegalStateException("cannot follow the election at " + etcdEndpoint, e);
    }
    this.sliceWatch =
        k8s.discovery()
            .v1()
            .endpointSlices()
            .inNamespace(namespace)
            .withName(slice)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, EndpointSlice s) {
                    if (action != Action.DELETED) {
                      observed(s);
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  /**
   * Lists the election and watches it from the next revision; when the watch breaks (etcd
   * restarted), lists and watches again, as often as it takes.
   */
  private void follow() throws Exception {
    GetResponse listed =
        etcd.getKVClient()
            .get(prefix, GetOption.builder().isPrefix(true).build())
            .get(10, TimeUnit.SECONDS);
    synchronized (this) {
      if (closed) {
        return;
      }
      candidates.clear();
      listed.getKvs().forEach(kv -> candidates.put(kv.getKey().toString(), kv));
      recordLeader(listed.getHeader().getRevision());
      electionWatch =
          etcd.getWatchClient()
              .watch(
                  prefix,
                  WatchOption.builder()
                      .isPrefix(true)
                      .withRevision(listed.getHeader().getRevision() + 1)
                      .build(),
                  Watch.listener(this::changed, err -> followAgain()));
    }
  }

  private synchronized void changed(io.etcd.jetcd.watch.WatchResponse r) {
    for (WatchEvent e : r.getEvents()) {
      KeyValue kv = e.getKeyValue();
      if (e.getEventType() == WatchEvent.EventType.DELETE) {
        candidates.remove(kv.getKey().toString());
      } else {
        candidates.put(kv.getKey().toString(), kv);
      }
      recordLeader(kv.getModRevision());
    }
  }

  private void followAgain() {
    synchronized (this) {
      if (closed) {
        return;
      }
      // Until the list comes back the leader is unknown: nobody's interval runs on across it.
      election.add(new Leadership(Instant.now(), -1, UNKNOWN));
      if (electionWatch != null) {
        electionWatch.close();
      }
    }
    java.util.concurrent.CompletableFuture.runAsync(
        () -> {
          try {
            follow();
          } catch (Exception e) {
            followAgain();
          }
        },
        java.util.concurrent.CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
  }

  private void recordLeader(long revision) {
    String leader =
        candidates.values().stream()
            .min(Comparator.comparingLong(KeyValue::getCreateRevision))
            .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
            .orElse(null);
    if (election.isEmpty() || !Objects.equals(election.get(election.size() - 1).leader(), leader)) {
      election.add(new Leadership(Instant.now(), revision, leader));
    }
  }

  private synchronized void observed(EndpointSlice s) {
    List<Endpoint> eps = s.getEndpoints() == null ? List.of() : s.getEndpoints();
    // An endpoint without a target is routed to no member at all: it can only fail the check.
    List<String> routed =
        eps.stream()
            .map(e -> e.getTargetRef() == null ? "(no target)" : e.getTargetRef().getName())
            .toList();
    String revision =
        s.getMetadata().getAnnotations() == null
            ? null
            : s.getMetadata()
                .getAnnotations()
                .get(dev.operator.lightning.model.LeaderEndpointSliceBuilder.ELECTION_REVISION);
    versions.add(
        new SliceVersion(
            Instant.now(),
            s.getMetadata().getResourceVersion(),
            routed,
            dev.operator.lightning.harness.RoutingHistory.electionRevision(revision)));
  }

  /**
   * Every slice version seen so far that breaks the invariant against the election history: more
   * than one endpoint, one that did not lead at any instant within [observed - ROUTING_DELAY,
   * observed + WATCH_SKEW], or one whose election revision names a revision at which, by this
   * monitor's history, another member led.
   */
  synchronized List<String> violations() {
    verified = 0;
    List<String> found = new ArrayList<>();
    for (SliceVersion v : versions) {
      if (v.endpoints().size() > 1) {
        found.add("two or more endpoints at once at " + v.observed() + ": " + v.endpoints());
        continue;
      }
      if (v.electionRevision() == -2) {
        found.add(
            "slice version " + v.resourceVersion() + " has an election revision not a number");
        continue;
      }
      if (v.endpoints().size() == 1 && v.electionRevision() >= 0) {
        Optional<String> led = leaderAtRevision(v.electionRevision());
        if (led.isPresent() && !led.get().equals(v.endpoints().get(0))) {
          found.add(
              "slice version "
                  + v.resourceVersion()
                  + " routed "
                  + v.endpoints().get(0)
                  + " as the leader of election revision "
                  + v.electionRevision()
                  + ", at which "
                  + (led.get().isEmpty() ? "no member" : led.get())
                  + " led");
          continue;
        }
      }
      if (v.endpoints().isEmpty()
          || ledWithin(
              v.endpoints().get(0),
              v.observed().minus(ROUTING_DELAY),
              v.observed().plus(WATCH_SKEW))
          || firstLeaderAfterBlindGap(v.observed()).equals(v.endpoints().get(0))) {
        verified++;
      } else {
        found.add(
            "slice version "
                + v.resourceVersion()
                + " observed at "
                + v.observed()
                + " routed "
                + v.endpoints().get(0)
                + ", which did not lead within "
                + ROUTING_DELAY.toMillis()
                + " ms before or "
                + WATCH_SKEW.toMillis()
                + " ms after");
      }
    }
    return found;
  }

  /** The election and the slice versions in the order they were seen, for failure messages. */
  synchronized List<String> history() {
    List<String> out = new ArrayList<>();
    election.forEach(l -> out.add(l.since() + " election rev " + l.revision() + ": " + l.leader()));
    versions.forEach(v -> out.add(v.observed() + " slice " + v.endpoints()));
    out.sort(Comparator.naturalOrder());
    return out;
  }

  /**
   * When {@code at} falls where this monitor could not see the election (its own watch broke with
   * etcd), the leader it listed on seeing it again, or "" when it had not yet or {@code at} is not
   * in such a gap. A slice routed there is judged against that leader: a stale leader routed while
   * etcd was away is still caught, a member routed a moment before the monitor listed it is not
   * taken for one.
   */
  private String firstLeaderAfterBlindGap(Instant at) {
    for (int i = 0; i < election.size(); i++) {
      Leadership l = election.get(i);
      Instant end = i + 1 < election.size() ? election.get(i + 1).since() : Instant.MAX;
      if (UNKNOWN.equals(l.leader()) && !l.since().isAfter(at) && end.isAfter(at)) {
        for (int j = i + 1; j < election.size(); j++) {
          if (!UNKNOWN.equals(election.get(j).leader())) {
            return Objects.requireNonNullElse(election.get(j).leader(), "");
          }
        }
        return "";
      }
    }
    return "";
  }

  /**
   * The member that led at etcd revision {@code revision} ("" for none), when this monitor's
   * history tells: a leader it saw from a revision at or before that one, with no change it could
   * have missed in between (its own watch broken) before a later known revision; past that term's
   * own revision, a gap that follows it hides what happened. Empty when it cannot tell: before its
   * first listing, or in a gap of its watch.
   */
  private Optional<String> leaderAtRevision(long revision) {
    List<dev.operator.lightning.harness.ElectionHistory.Term> terms = new ArrayList<>();
    for (Leadership l : election) {
      terms.add(
          new dev.operator.lightning.harness.ElectionHistory.Term(
              l.since(),
              l.revision(),
              UNKNOWN.equals(l.leader())
                  ? dev.operator.lightning.harness.ElectionHistory.UNKNOWN
                  : l.leader()));
    }
    return dev.operator.lightning.harness.ElectionHistory.leaderAt(terms, revision);
  }

  /** Whether the monitor sees the election now: it listed it since its watch last broke. */
  synchronized boolean following() {
    return !election.isEmpty() && !UNKNOWN.equals(election.get(election.size() - 1).leader());
  }

  /** Whether {@code member} led at some instant of [from, to]. */
  private boolean ledWithin(String member, Instant from, Instant to) {
    for (int i = 0; i < election.size(); i++) {
      Leadership l = election.get(i);
      Instant end = i + 1 < election.size() ? election.get(i + 1).since() : Instant.MAX;
      if (member.equals(l.leader()) && l.since().isBefore(to) && end.isAfter(from)) {
        return true;
      }
    }
    return false;
  }

  /** How many slice versions the test saw, and how many of them it verified. */
  synchronized int seen() {
    return versions.size();
  }

  synchronized int verified() {
    return verified;
  }

  @Override
  public void close() {
    sliceWatch.close();
    synchronized (this) {
      closed = true;
      if (electionWatch != null) {
        electionWatch.close();
      }
    }
    etcd.close();
  }
}
