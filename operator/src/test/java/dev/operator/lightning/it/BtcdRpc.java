package dev.operator.lightning.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.pki.TrustedCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** btcd's JSON-RPC over TLS, for the test's chain operations (blocks, mempool). */
final class BtcdRpc {
  private static final ObjectMapper JSON = new ObjectMapper();

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
    ObjectNode req = JSON.createObjectNode();
    req.put("jsonrpc", "1.0");
    req.put("id", 1);
    req.put("method", method);
    ArrayNode p = req.putArray("params");
    for (Object o : params) {
      p.addPOJO(o);
    }
    Request r =
        new Request.Builder()
            .url(url)
            .header("Authorization", auth)
            .post(
                RequestBody.create(JSON.writeValueAsBytes(req), MediaType.get("application/json")))
            .build();
    try (Response resp = http.newCall(r).execute()) {
      JsonNode body = JSON.readTree(resp.body().string());
      if (body.hasNonNull("error")) {
        throw new IOException(method + ": " + body.get("error").path("message").asText());
      }
      return body.path("result");
    }
  }
}
