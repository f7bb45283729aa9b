package dev.operator.lightning.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Requests as the API server's audit log records them (one line per completed request): counted by
 * verb and by verb and resource, for one client (by user agent) and for all, over a window. What a
 * client's own counters cannot show: requests it did not know it made, and everyone else's.
 */
record AuditedRequests(
    Map<String, Long> clientByVerb,
    Map<String, Long> clientByResource,
    Map<String, Long> allByVerb,
    long lines) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Requests received in [{@code from}, {@code to}); the client's by user-agent prefix. */
  static AuditedRequests read(Path auditLog, String userAgent, Instant from, Instant to)
      throws IOException {
    Map<String, Long> byVerb = new TreeMap<>();
    Map<String, Long> byResource = new TreeMap<>();
    Map<String, Long> all = new TreeMap<>();
    long[] lines = {0};
    inWindow(
        auditLog,
        from,
        to,
        (e, at) -> {
          lines[0]++;
          String verb = e.path("verb").asText();
          all.merge(verb, 1L, Long::sum);
          if (e.path("userAgent").asText("").startsWith(userAgent)) {
            byVerb.merge(verb, 1L, Long::sum);
            JsonNode ref = e.path("objectRef");
            String resource =
                ref.path("apiGroup").asText("").isEmpty()
                    ? ref.path("resource").asText("?")
                    : ref.path("resource").asText("?") + "." + ref.path("apiGroup").asText();
            byResource.merge(verb + " " + resource, 1L, Long::sum);
          }
        });
    return new AuditedRequests(byVerb, byResource, all, lines[0]);
  }

  /**
   * One completed request: who sent it, what it touched, the answer's HTTP code, and when the API
   * server received it and answered it.
   */
  record Completed(
      String userAgent,
      String verb,
      String resource,
      String subresource,
      String namespace,
      String name,
      int code,
      Instant received,
      Instant answered) {
    /** The time the request spent in the API server. */
    long millis() {
      return java.time.Duration.between(received, answered).toMillis();
    }
  }

  /** Every request received in [{@code from}, {@code to}), in the log's order. */
  static List<Completed> completed(Path auditLog, Instant from, Instant to) throws IOException {
    List<Completed> out = new ArrayList<>();
    inWindow(
        auditLog,
        from,
        to,
        (e, at) -> {
          String answered = e.path("stageTimestamp").asText(null);
          if (answered == null) {
            return;
          }
          JsonNode ref = e.path("objectRef");
          out.add(
              new Completed(
                  e.path("userAgent").asText(""),
                  e.path("verb").asText(),
                  ref.path("resource").asText(""),
                  ref.path("subresource").asText(""),
                  ref.path("namespace").asText(""),
                  ref.path("name").asText(""),
                  e.path("responseStatus").path("code").asInt(0),
                  at,
                  Instant.parse(answered)));
        });
    return out;
  }

  /** Hands each logged request received in [{@code from}, {@code to}) over, with that instant. */
  private static void inWindow(
      Path auditLog, Instant from, Instant to, BiConsumer<JsonNode, Instant> request)
      throws IOException {
    try (BufferedReader r = Files.newBufferedReader(auditLog, StandardCharsets.UTF_8)) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        JsonNode e = JSON.readTree(line);
        String received = e.path("requestReceivedTimestamp").asText(null);
        if (received == null) {
          continue;
        }
        Instant at = Instant.parse(received);
        if (!at.isBefore(from) && at.isBefore(to)) {
          request.accept(e, at);
        }
      }
    }
  }

  /** Per minute over {@code minutes}, one decimal. */
  static Map<String, String> perMinute(Map<String, Long> counts, double minutes) {
    Map<String, String> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, String.format("%.1f", v / minutes)));
    return out;
  }
}
