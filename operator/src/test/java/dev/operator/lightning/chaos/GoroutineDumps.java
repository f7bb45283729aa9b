package dev.operator.lightning.chaos;

import dev.operator.lightning.model.Labels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Goroutine dumps of every lnd of the campaign's clusters, taken while a fault's first payment is
 * overdue. lnd's info-level log does not say which call holds a channel link that reestablished and
 * then did not move for minutes (seen three times in one long run); a dump taken during such a
 * stall does. It needs lnd's profile listener on the pod's address ({@code profile=0.0.0.0:<port>}
 * in the lnd config: a bare port is served on localhost only), which the campaign sets only when
 * asked to.
 */
final class GoroutineDumps {
  private static final Pattern PROFILE =
      Pattern.compile("(?m)^\\s*(?:pprof\\.)?profile\\s*=\\s*(?:[^\\s:]*:)?(\\d+)\\s*$");

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final String namespace;
  private final List<String> clusters;
  private final int port;
  private final Path directory;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  GoroutineDumps(
      KubernetesClient client, String namespace, List<String> clusters, int port, Path directory) {
    this.client = client;
    this.namespace = namespace;
    this.clusters = List.copyOf(clusters);
    this.port = port;
    this.directory = directory;
  }

  /** The port of lnd's profile listener that an lnd config sets, if it sets one. */
  static Optional<Integer> profilePort(String lndConfig) {
    Matcher m = PROFILE.matcher(lndConfig == null ? "" : lndConfig);
    return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
  }

  /**
   * One dump per lnd pod with an IP, each in a file named after {@code label} and the pod.
   *
   * @return per pod, the file written or why there is none
   */
  List<String> take(String label) {
    List<String> out = new ArrayList<>();
    for (String cluster : clusters) {
      List<Pod> pods =
          client
              .pods()
              .inNamespace(namespace)
              .withLabels(Labels.selector(cluster, Labels.COMPONENT_LND))
              .list()
              .getItems();
      for (Pod pod : pods) {
        out.add(take(label, pod));
      }
    }
    return out;
  }

  private String take(String label, Pod pod) {
    String name = pod.getMetadata().getName();
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    if (ip == null) {
      return name + ": no pod IP";
    }
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://" + ip + ":" + port + "/debug/pprof/goroutine?debug=2"))
                  .timeout(TIMEOUT)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return name + ": HTTP " + r.statusCode();
      }
      Files.createDirectories(directory);
      Path file = directory.resolve(label + "-" + name + ".goroutines.txt");
      Files.writeString(file, r.body());
      return name + ": " + file;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return name + ": interrupted";
    } catch (Exception e) {
      return name + ": " + e;
    }
  }
}
