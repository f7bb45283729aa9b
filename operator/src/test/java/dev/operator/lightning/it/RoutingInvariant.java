package dev.operator.lightning.it;

import dev.operator.lightning.model.LeaderEndpointSliceBuilder;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Safety invariant 1, checked on every version of the leader EndpointSlice as it happens: never
 * more than one endpoint, and that endpoint is the pod whose cluster.id held the lowest-revision
 * election key at the etcd revision the operator based the slice on (read back from etcd at that
 * revision, independently of the operator).
 */
final class RoutingInvariant implements AutoCloseable {
  final List<String> violations = new CopyOnWriteArrayList<>();
  final List<String> history = new CopyOnWriteArrayList<>();
  final AtomicInteger verified = new AtomicInteger();
  private final Client etcd;
  private final String prefix;
  private final Watch watch;

  RoutingInvariant(
      KubernetesClient k8s, String namespace, String slice, String etcdEndpoint, String prefix) {
    this.etcd = Client.builder().endpoints("http://" + etcdEndpoint).build();
    this.prefix = prefix;
    this.watch =
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
                      check(s);
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  private void check(EndpointSlice s) {
    List<Endpoint> eps = s.getEndpoints() == null ? List.of() : s.getEndpoints();
    String rev =
        s.getMetadata().getAnnotations() == null
            ? null
            : s.getMetadata().getAnnotations().get(LeaderEndpointSliceBuilder.ELECTION_REVISION);
    String routed = eps.isEmpty() ? "-" : eps.get(0).getTargetRef().getName();
    history.add(routed + "@" + rev);
    if (eps.size() > 1) {
      violations.add("two or more endpoints at once: " + eps.size() + " (rev " + rev + ")");
      return;
    }
    if (eps.isEmpty() || rev == null || rev.equals("0")) {
      return;
    }
    try {
      List<KeyValue> kvs =
          etcd.getKVClient()
              .get(
                  ByteSequence.from(prefix, StandardCharsets.UTF_8),
                  GetOption.builder().isPrefix(true).withRevision(Long.parseLong(rev)).build())
              .get(5, TimeUnit.SECONDS)
              .getKvs();
      String leader =
          kvs.stream()
              .min(Comparator.comparingLong(KeyValue::getCreateRevision))
              .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
              .orElse("-");
      if (!leader.equals(routed)) {
        violations.add("routed " + routed + " but " + leader + " led at revision " + rev);
      } else {
        verified.incrementAndGet();
      }
    } catch (Exception e) {
      // A revision compacted away cannot be read back; that version stays unverified.
      history.add("unverifiable@" + rev + ": " + e.getMessage());
    }
  }

  @Override
  public void close() {
    watch.close();
    etcd.close();
  }
}
