package dev.operator.lightning.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.pki.TrustedCertificates;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Predicate;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A client of one cluster's node through its leader Service by name (REST, port 8080), with the TLS
 * certificate and admin macaroon from {@code <name>-admin}: what an application paying through the
 * cluster does. Every call goes to whichever member the Service routes to at that moment.
 */
public final class NodeRest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");

  private final String base;
  private final String macaroon;
  private final OkHttpClient http;

  private NodeRest(String base, String macaroon, OkHttpClient http) {
    this.base = base;
    this.macaroon = macaroon;
    this.http = http;
  }

  /** Reads {@code <name>-admin} in {@code ns}. */
  public static NodeRest forCluster(KubernetesClient client, String ns, String name) {
    Secret s = client.secrets().inNamespace(ns).withName(name + "-admin").get();
    if (s == null) {
      throw new IllegalStateException("Secret " + ns + "/" + name + "-admin not found yet");
    }
    byte[] mac = Base64.getDecoder().decode(s.getData().get("admin.macaroon"));
    byte[] ca = Base64.getDecoder().decode(s.getData().get("ca.crt"));
    return of(name + "." + ns + ".svc", mac, ca);
  }

  /** A node at {@code host}:8080 whose certificate chains to {@code caPem}. */
  public static NodeRest of(String host, byte[] mac, byte[] ca) {
    try {
      TrustedCertificates.Trust trust =
          TrustedCertificates.of(new String(ca, StandardCharsets.UTF_8));
      OkHttpClient http =
          new OkHttpClient.Builder()
              .sslSocketFactory(trust.socketFactory(), trust.trustManager())
              .connectTimeout(Duration.ofSeconds(2))
              .readTimeout(Duration.ofSeconds(60))
              .retryOnConnectionFailure(false)
              .build();
      return new NodeRest("https://" + host + ":8080", HexFormat.of().formatHex(mac), http);
    } catch (Exception e) {
      throw new IllegalStateException("cannot build a TLS client for " + host, e);
    }
  }

  public JsonNode get(String path) throws IOException {
    return call(new Request.Builder().url(base + path).get());
  }

  public JsonNode post(String path, ObjectNode body) throws IOException {
    return call(
        new Request.Builder()
            .url(base + path)
            .post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE)));
  }

  public JsonNode delete(String path) throws IOException {
    return call(new Request.Builder().url(base + path).delete());
  }

  /**
   * A streaming call (SendPaymentV2, TrackPaymentV2): reads the stream's JSON lines until one
   * satisfies {@code done} and returns its {@code result}. Throws when the stream ends first or the
   * connection breaks, which is what a failover does to it.
   */
  public JsonNode stream(String path, ObjectNode body, Predicate<JsonNode> done, Duration timeout)
      throws IOException {
    Request.Builder b = new Request.Builder().url(base + path);
    if (body != null) {
      b.post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE));
    }
    OkHttpClient c = http.newBuilder().readTimeout(timeout).callTimeout(timeout).build();
    try (Response resp =
        c.newCall(b.header("Grpc-Metadata-macaroon", macaroon).build()).execute()) {
      if (resp.body() == null) {
        throw new IOException(path + " answered HTTP " + resp.code() + " without a body");
      }
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(resp.body().byteStream(), StandardCharsets.UTF_8));
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode msg = JSON.readTree(line);
        if (msg.has("error")) {
          throw new RemoteError(path, msg.get("error").path("message").asText(msg.toString()));
        }
        JsonNode result = msg.path("result");
        if (done.test(result)) {
          return result;
        }
      }
      throw new IOException(path + ": the stream ended before a final update");
    }
  }

  private JsonNode call(Request.Builder r) throws IOException {
    try (Response resp =
        http.newCall(r.header("Grpc-Metadata-macaroon", macaroon).build()).execute()) {
      String text = resp.body() == null ? "" : resp.body().string();
      JsonNode body = text.isEmpty() ? JSON.createObjectNode() : JSON.readTree(text);
      if (!resp.isSuccessful()) {
        throw new RemoteError(
            r.build().url().encodedPath(),
            "HTTP " + resp.code() + ": " + body.path("message").asText(text));
      }
      return body;
    }
  }

  public static ObjectNode body() {
    return JSON.createObjectNode();
  }

  /** LND answered with an error: the call reached a node, unlike a broken connection. */
  public static final class RemoteError extends IOException {
    public RemoteError(String path, String message) {
      super(path + ": " + message);
    }
  }
}
