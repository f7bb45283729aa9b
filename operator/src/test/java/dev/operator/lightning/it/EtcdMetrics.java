package dev.operator.lightning.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** An etcd member's own Prometheus metrics: memory, watches, database size. */
public final class EtcdMetrics {
  private EtcdMetrics() {}

  /** The metrics page at {@code url} (a member's metrics or client URL, no path). */
  public static String read(HttpClient http, String url, Duration timeout) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/metrics"))
                .timeout(timeout)
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** An unlabelled gauge's value, or -1 when the member does not report it. */
  public static double gauge(String metrics, String name) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .findFirst()
        .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
        .orElse(-1.0);
  }
}
