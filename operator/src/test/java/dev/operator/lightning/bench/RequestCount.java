package dev.operator.lightning.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the operator client's requests by verb (a GET with watch=true is a WATCH). */
final class RequestCount {
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> paths = new ConcurrentHashMap<>();
  private volatile Instant last = Instant.now();

  KubernetesClient client(io.fabric8.kubernetes.client.Config config) {
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientBuilderConsumer(
            b ->
                b.addOrReplaceInterceptor(
                    "request-count",
                    new Interceptor() {
                      @Override
                      public void before(
                          BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        String verb = verb(request);
                        counts.computeIfAbsent(verb, k -> new AtomicLong()).incrementAndGet();
                        if (!"WATCH".equals(verb)) {
                          // Namespaces differ per cluster: count by verb and kind of path.
                          paths
                              .computeIfAbsent(
                                  verb
                                      + " "
                                      + request
                                          .uri()
                                          .getPath()
                                          .replaceAll("/namespaces/[^/]+", "/namespaces/*")
                                          .replaceAll("scale[0-9]+x[0-9]+", "*"),
                                  k -> new AtomicLong())
                              .incrementAndGet();
                        }
                        // The leader election renews its Lease every few seconds whatever the
                        // clusters do: quiet means no request of the reconcile path.
                        if (!"WATCH".equals(verb)
                            && !request.uri().getPath().contains("/leases/")) {
                          last = Instant.now();
                        }
                      }
                    }))
        .build();
  }

  private static String verb(HttpRequest r) {
    String q = r.uri().getQuery() == null ? "" : r.uri().getQuery();
    if (!"GET".equals(r.method())) {
      return r.method();
    }
    if (q.contains("watch=true")) {
      return "WATCH";
    }
    // .../namespaces/<ns>/<resource>/<name>: one object; without the name: a collection.
    List<String> parts = Arrays.asList(r.uri().getPath().split("/"));
    int ns = parts.indexOf("namespaces");
    return ns >= 0 && parts.size() > ns + 3 ? "GET" : "LIST";
  }

  Duration quietFor() {
    return Duration.between(last, Instant.now());
  }

  void reset() {
    counts.clear();
    paths.clear();
  }

  Map<String, Long> byPath() {
    Map<String, Long> m = new TreeMap<>();
    paths.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  Map<String, Long> byVerb() {
    Map<String, Long> m = new TreeMap<>();
    counts.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }
}
