package dev.operator.lightning.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.pki.TrustedCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** btcd's JSON-RPC over TLS, for the test's chain operations (blocks, mempool). */
final class BtcdRpc {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 250;

  private final String url;
  private final String auth;
  private final OkHttpClient http;

  BtcdRpc(String hostPort, String certPem, String user, String pass) {
    this.url = "https://" + hostPort + "/";
    this.auth =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
    try {
      TrustedCertificates.Trust trust = TrustedCertificates.of(certPem);
      this.http =
          new OkHttpClient.Builder()
              .sslSocketFactory(trust.socketFactory(), trust.trustManager())
              .connectTimeout(Duration.ofSeconds(2))
              .readTimeout(Duration.ofSeconds(60))
              .build();
    } catch (Exception e) {
      throw new IllegalStateException("cannot build the btcd RPC client", e);
    }
  }

  /** The call's result; throws with btcd's message on an RPC error. */
  JsonNode call(String method, Object... params) throws IOException {
    JsonNode body = post(request(method, 1, List.of(params)));
    if (body.hasNonNull("error")) {
      throw new IOException(method + ": " + body.get("error").path("message").asText());
    }
    return body.path("result");
  }

  /** One entry's answer in a batch: its result, or btcd's error message (null when none). */
  record Answer(JsonNode result, String error) {}

  /**
   * The same method once per parameter list, in one request per {@value #BATCH} calls, answered in
   * order. btcd closes its connection after every request, so a call per block paid a TLS handshake
   * per block: hundreds of blocks took a minute.
   */
  List<Answer> batch(String method, List<List<Object>> paramsEach) throws IOException {
    List<Answer> answers = new ArrayList<>(paramsEach.size());
    for (int from = 0; from < paramsEach.size(); from += BATCH) {
      List<List<Object>> chunk =
          paramsEach.subList(from, Math.min(from + BATCH, paramsEach.size()));
      ArrayNode reqs = JSON.createArrayNode();
      for (int i = 0; i < chunk.size(); i++) {
        reqs.add(request(method, i + 1, chunk.get(i)));
      }
      JsonNode body = post(reqs);
      if (!body.isArray() || body.size() != chunk.size()) {
        throw new IOException(method + ": " + chunk.size() + " calls, answered " + body);
      }
      JsonNode[] byId = new JsonNode[chunk.size()];
      for (JsonNode entry : body) {
        int id = entry.path("id").asInt();
        if (id < 1 || id > chunk.size() || byId[id - 1] != null) {
          throw new IOException(method + ": an answer to no call of the batch: " + entry);
        }
        byId[id - 1] = entry;
      }
      for (JsonNode entry : byId) {
        answers.add(
            new Answer(
                entry.path("result"),
                entry.hasNonNull("error") ? entry.get("error").path("message").asText() : null));
      }
    }
    return answers;
  }

  /** The results of {@link #batch}; throws with btcd's message on the first error. */
  List<JsonNode> results(String method, List<List<Object>> paramsEach) throws IOException {
    List<JsonNode> results = new ArrayList<>(paramsEach.size());
    for (Answer a : batch(method, paramsEach)) {
      if (a.error() != null) {
        throw new IOException(method + ": " + a.error());
      }
      results.add(a.result());
    }
    return results;
  }

  private static ObjectNode request(String method, int id, List<Object> params) {
    ObjectNode req = JSON.createObjectNode();
    req.put("jsonrpc", "1.0");
    req.put("id", id);
    req.put("method", method);
    ArrayNode p = req.putArray("params");
    for (Object o : params) {
      p.addPOJO(o);
    }
    return req;
  }

  private JsonNode post(JsonNode payload) throws IOException {
    Request r =
        new Request.Builder()
            .url(url)
            .header("Authorization", auth)
            .post(
                RequestBody.create(
                    JSON.writeValueAsBytes(payload), MediaType.get("application/json")))
            .build();
    try (Response resp = http.newCall(r).execute()) {
      return JSON.readTree(resp.body().string());
    }
  }
}
