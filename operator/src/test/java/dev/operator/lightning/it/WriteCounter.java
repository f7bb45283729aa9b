package dev.operator.lightning.it;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A client that records every request, reads and writes apart, to prove a reconcile wrote and read
 * nothing.
 */
final class WriteCounter {
  final List<String> writes = new CopyOnWriteArrayList<>();
  final List<String> reads = new CopyOnWriteArrayList<>();
  final KubernetesClient client;

  WriteCounter() {
    client =
        new KubernetesClientBuilder()
            .withConfig(dev.operator.lightning.harness.ControlPlane.shared().config())
            .withHttpClientBuilderConsumer(
                b ->
                    b.addOrReplaceInterceptor(
                        "write-counter",
                        new Interceptor() {
                          @Override
                          public void before(
                              BasicBuilder builder, HttpRequest request, RequestTags tags) {
                            String line = request.method() + " " + request.uri().getPath();
                            if ("GET".equals(request.method())) {
                              reads.add(line);
                            } else {
                              writes.add(line);
                            }
                          }
                        }))
            .build();
  }

  void clear() {
    writes.clear();
    reads.clear();
  }
}
