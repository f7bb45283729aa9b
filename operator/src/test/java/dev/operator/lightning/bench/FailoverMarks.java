package dev.operator.lightning.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * When each cluster's election leader changed (one etcd watch over every cluster's keys) and when
 * its leader Service was routed to a member (one EndpointSlice watch over every namespace), so a
 * kill can be split into (a) election change -> routed, the operator's share, and (b) kill -> new
 * leader routed. Clusters are told apart by their etcd key namespace, which is the Kubernetes
 * namespace followed by "/".
 */
final class FailoverMarks implements AutoCloseable {
  record Mark(Instant at, String pod) {}

  private final Map<String, List<Mark>> elections = new ConcurrentHashMap<>();
  private final Map<String, List<Mark>> routes = new ConcurrentHashMap<>();
  private final Map<String, Map<String, long[]>> revisions = new ConcurrentHashMap<>();
  private final Map<String, String> values = new ConcurrentHashMap<>();
  private final Watch.Watcher etcdWatch;
  private final io.fabric8.kubernetes.client.Watch sliceWatch;

  FailoverMarks(Client etcd, KubernetesClient k8s, String keyPrefix) throws Exception {
    ByteSequence prefix = ByteSequence.from(keyPrefix, StandardCharsets.UTF_8);
    var initial =
        etcd.getKVClient()
            .get(prefix, GetOption.builder().isPrefix(true).build())
            .get(30, TimeUnit.SECONDS);
    initial.getKvs().forEach(kv -> put(kv.getKey(), kv.getCreateRevision(), kv.getValue()));
    initial.getKvs().forEach(kv -> leaderMaybeChanged(cluster(kv.getKey()), Instant.now()));
    etcdWatch =
        etcd.getWatchClient()
            .watch(
                prefix,
                WatchOption.builder()
                    .isPrefix(true)
                    .withRevision(initial.getHeader().getRevision() + 1)
                    .build(),
                resp -> {
                  Instant at = Instant.now();
                  for (WatchEvent e : resp.getEvents()) {
                    var kv = e.getKeyValue();
                    if (e.getEventType() == WatchEvent.EventType.PUT) {
                      put(kv.getKey(), kv.getCreateRevision(), kv.getValue());
                    } else {
                      String k = kv.getKey().toString(StandardCharsets.UTF_8);
                      Map<String, long[]> r = revisions.get(cluster(kv.getKey()));
                      if (r != null) {
                        r.remove(k);
                      }
                      values.remove(k);
                    }
                    leaderMaybeChanged(cluster(kv.getKey()), at);
                  }
                });
    sliceWatch =
        k8s.discovery()
            .v1()
            .endpointSlices()
            .inAnyNamespace()
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, EndpointSlice s) {
                    if (!s.getMetadata().getName().endsWith("-leader")) {
                      return;
                    }
                    List<Endpoint> eps = s.getEndpoints() == null ? List.of() : s.getEndpoints();
                    String pod =
                        eps.isEmpty()
                                || !Boolean.TRUE.equals(eps.get(0).getConditions().getReady())
                                || eps.get(0).getTargetRef() == null
                            ? null
                            : eps.get(0).getTargetRef().getName();
                    add(routes, s.getMetadata().getNamespace(), new Mark(Instant.now(), pod));
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  private static String cluster(ByteSequence key) {
    String k = key.toString(StandardCharsets.UTF_8);
    return k.substring(0, Math.max(0, k.indexOf('/')));
  }

  private void put(ByteSequence key, long createRevision, ByteSequence value) {
    String k = key.toString(StandardCharsets.UTF_8);
    if (!k.contains("/leader/")) {
      return;
    }
    revisions
        .computeIfAbsent(cluster(key), c -> new ConcurrentHashMap<>())
        .put(k, new long[] {createRevision});
    values.put(k, value.toString(StandardCharsets.UTF_8));
  }

  private synchronized void leaderMaybeChanged(String cluster, Instant at) {
    String leader =
        revisions.getOrDefault(cluster, Map.of()).entrySet().stream()
            .min(Comparator.comparingLong(e -> e.getValue()[0]))
            .map(e -> values.get(e.getKey()))
            .orElse(null);
    List<Mark> marks = elections.get(cluster);
    if (marks == null || marks.isEmpty() || !Objects.equals(last(marks).pod(), leader)) {
      add(elections, cluster, new Mark(at, leader));
    }
  }

  private static void add(Map<String, List<Mark>> m, String cluster, Mark mark) {
    List<Mark> list = m.computeIfAbsent(cluster, c -> new ArrayList<>());
    synchronized (list) {
      list.add(mark);
    }
  }

  private static Mark last(List<Mark> marks) {
    synchronized (marks) {
      return marks.get(marks.size() - 1);
    }
  }

  /**
   * The first time after {@code after} that the cluster was routed to a member other than {@code
   * old}.
   */
  Optional<Mark> routedAwayFrom(String cluster, String old, Instant after) {
    return first(
        routes, cluster, m -> m.at().isAfter(after) && m.pod() != null && !m.pod().equals(old));
  }

  /**
   * How long the leader Service still routed {@code old} after the election left it (0 when it was
   * unrouted first, as on a pod's death): how long clients could reach a deposed leader.
   */
  Optional<Long> routedAfterDeposed(String cluster, String old, Instant after) {
    Optional<Mark> deposed =
        first(elections, cluster, m -> m.at().isAfter(after) && !Objects.equals(m.pod(), old));
    Optional<Mark> unrouted =
        first(routes, cluster, m -> m.at().isAfter(after) && !Objects.equals(m.pod(), old));
    if (deposed.isEmpty() || unrouted.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        Math.max(
            0, java.time.Duration.between(deposed.get().at(), unrouted.get().at()).toMillis()));
  }

  /** When the election of the cluster last turned to {@code pod} before {@code before}. */
  Optional<Mark> electedBefore(String cluster, String pod, Instant before) {
    List<Mark> list = elections.getOrDefault(cluster, List.of());
    synchronized (list) {
      Mark found = null;
      for (Mark m : list) {
        if (!m.at().isAfter(before) && pod.equals(m.pod())) {
          found = m;
        }
      }
      return Optional.ofNullable(found);
    }
  }

  private static Optional<Mark> first(
      Map<String, List<Mark>> m, String cluster, java.util.function.Predicate<Mark> p) {
    List<Mark> list = m.getOrDefault(cluster, List.of());
    synchronized (list) {
      return list.stream().filter(p).findFirst();
    }
  }

  @Override
  public void close() {
    etcdWatch.close();
    sliceWatch.close();
  }
}
