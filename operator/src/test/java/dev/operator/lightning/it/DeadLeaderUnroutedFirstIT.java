package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.operator.lightning.harness.ControlPlane;
import dev.operator.lightning.harness.EtcdServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Once a dead leader's lease is revoked the election moves at once, so from then on the leader
 * Service must not route it: the pass takes it out of the EndpointSlice first, then revokes. Each
 * slice write of the pass is looked at as it leaves, with etcd asked right then whether the dead
 * leader's key is still there, so the order is seen exactly, with no race against a watch.
 */
class DeadLeaderUnroutedFirstIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A write of the leader EndpointSlice: its ready endpoints, and the dead key's presence then. */
  private record SliceWrite(List<String> ready, boolean deadKeyPresent) {}

  @Test
  void theDeadLeaderLeavesTheSliceWhileItsKeyStillHoldsTheElection() throws Exception {
    AtomicReference<String> deadKey = new AtomicReference<>();
    List<SliceWrite> writes = new CopyOnWriteArrayList<>();
    KubernetesClient client = ApiServerSupport.client();
    try (EtcdServer etcd = EtcdServer.start();
        Client etcdClient = Client.builder().endpoints(etcd.url()).build();
        MemberScenario s = new MemberScenario(client, etcd, "unroute", "kappa", 90, null)) {
      String slicePath = "/namespaces/" + s.ns + "/endpointslices/" + s.name + "-leader";
      Interceptor sliceWrites =
          new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
              if (request.method().equals("GET") || !request.uri().getPath().endsWith(slicePath)) {
                return;
              }
              String key = deadKey.get();
              boolean present;
              try {
                present =
                    key == null
                        || etcdClient
                                .getKVClient()
                                .get(ByteSequence.from(key, StandardCharsets.UTF_8))
                                .get(5, TimeUnit.SECONDS)
                                .getCount()
                            > 0;
              } catch (Exception e) {
                throw new IllegalStateException("etcd not readable during a slice write", e);
              }
              writes.add(new SliceWrite(readyTargets(request.bodyString()), present));
            }
          };
      KubernetesClient operatorClient =
          new KubernetesClientBuilder()
              .withConfig(ControlPlane.shared().config())
              .withHttpClientBuilderConsumer(
                  b -> b.addOrReplaceInterceptor("slice-writes", sliceWrites))
              .build();
      try (operatorClient;
          CachedReads caches = new CachedReads(client, operatorClient, s.ns);
          Passes passes = new Passes(Reconciliations.direct(operatorClient, caches.reads()), s)) {
        String first = s.awaitRoutedLeader(null);
        long lease = s.kubelet.standIn(first).leaseId();
        deadKey.set(s.electionPrefix + Long.toHexString(lease));

        s.kubelet.killHard(first);
        String second = s.awaitRoutedLeader(first);
        await()
            .atMost(DEADLINE)
            .untilAsserted(
                () ->
                    assertThat(s.events("LeaseRevoked"))
                        .as("the dead leader's revocation")
                        .anyMatch(m -> m.contains(first)));

        List<SliceWrite> beforeRevocation = new ArrayList<>();
        for (SliceWrite w : writes) {
          if (!w.deadKeyPresent()) {
            break;
          }
          beforeRevocation.add(w);
        }
        assertThat(beforeRevocation)
            .as("slice writes while %s's key %s still held the election", first, deadKey.get())
            .isNotEmpty();
        assertThat(beforeRevocation.get(beforeRevocation.size() - 1).ready())
            .as(
                "ready endpoints of the last slice write before the dead leader's key went"
                    + " (every write: %s)",
                writes)
            .doesNotContain(first);
        assertThat(writes.get(writes.size() - 1).ready())
            .as("ready endpoints of the last slice write")
            .containsExactly(second);
        s.assertInvariantHeld();
      }
    }
  }

  /** The members a slice write routes as ready, from the applied object's JSON. */
  private static List<String> readyTargets(String body) {
    List<String> ready = new ArrayList<>();
    try {
      for (JsonNode e : JSON.readTree(body).path("endpoints")) {
        if (e.path("conditions").path("ready").asBoolean(false)) {
          ready.add(e.path("targetRef").path("name").asText());
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("a slice write that is not JSON: " + body, e);
    }
    return ready;
  }
}
