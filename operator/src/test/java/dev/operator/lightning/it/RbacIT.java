package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.Main;
import dev.operator.lightning.harness.ControlPlane;
import dev.operator.lightning.harness.EtcdServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The operator runs as the chart's ServiceAccount (impersonated against the real API server, which
 * enforces RBAC) through creation, a hard-kill failover and a member recreation: the chart's rules
 * are exactly enough, and nothing it needs is forbidden.
 */
class RbacIT {
  @Test
  void theOperatorWorksUnderExactlyTheChartsRules() {
    KubernetesClient admin = ApiServerSupport.client();
    String releaseNs = ApiServerSupport.newNamespace("rbac-system");
    try (EtcdServer etcd = EtcdServer.start();
        MemberScenario s = new MemberScenario(admin, etcd, "rbac", "nu", 90, null)) {
      String yaml =
          Kubectl.helm(
              "template",
              "rbac",
              Kubectl.chart().toString(),
              "--namespace",
              releaseNs,
              "--set",
              "watchNamespaces[0]=" + s.ns);
      Kubectl.kubectl("apply", "--server-side", "-f", Kubectl.file(yaml).toString());

      List<String> forbidden = new CopyOnWriteArrayList<>();
      Config cfg = ControlPlane.shared().config();
      cfg.setImpersonateUsername("system:serviceaccount:" + releaseNs + ":rbac-lightning-operator");
      cfg.setImpersonateGroups(
          "system:serviceaccounts", "system:serviceaccounts:" + releaseNs, "system:authenticated");
      KubernetesClient asOperator =
          new KubernetesClientBuilder()
              .withConfig(cfg)
              .withHttpClientBuilderConsumer(
                  b ->
                      b.addOrReplaceInterceptor(
                          "forbidden",
                          new Interceptor() {
                            @Override
                            public void after(
                                HttpRequest request,
                                HttpResponse<?> response,
                                AsyncBody.Consumer<List<ByteBuffer>> consumer) {
                              if (response.code() == 403) {
                                forbidden.add(request.method() + " " + request.uri().getPath());
                              }
                            }
                          }))
              .build();
      try (Main.Running op =
          Main.start(
              asOperator,
              new Main.Settings(
                  Set.of(s.ns), releaseNs, "rbac-0", Duration.ofSeconds(4), false, -1))) {
        String first = s.awaitRoutedLeader(null);
        s.kubelet.killHard(first);
        String second = s.awaitRoutedLeader(first);
        // A forced deletion would leave the lease to its TTL (no proof of death): kill again.
        s.kubelet.killHard(second);
        s.awaitRoutedLeader(second);
        assertThat(s.events("LeaseRevoked")).hasSizeGreaterThanOrEqualTo(2);
        s.assertInvariantHeld();
      }
      assertThat(forbidden).as("requests the chart's RBAC forbade").isEmpty();
    }
  }
}
