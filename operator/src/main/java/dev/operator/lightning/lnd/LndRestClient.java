package dev.operator.lightning.lnd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Reads LND's {@code GET /v1/state} (no macaroon needed). The certificate chain is verified against
 * the cluster CA and the name against the member's DNS name, since pod IPs are not in the
 * certificate.
 */
public final class LndRestClient {
  public static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);
  public static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
  public static final Duration WALLET_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OkHttpClient http;

  public LndRestClient(X509Certificate trustedCa) {
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      ks.setCertificateEntry("cluster-ca", trustedCa);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new javax.net.ssl.TrustManager[] {tm}, null);
      http =
          new OkHttpClient.Builder()
              .sslSocketFactory(ctx.getSocketFactory(), tm)
              .connectTimeout(CONNECT_TIMEOUT)
              .readTimeout(READ_TIMEOUT)
              .callTimeout(READ_TIMEOUT.plus(CONNECT_TIMEOUT))
              .retryOnConnectionFailure(false)
              .build();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the TLS context for /v1/state", e);
    }
  }

  /**
   * The member's state, or empty when it cannot be read (not started, unreachable, bad TLS).
   *
   * @param host the member's DNS name, which its certificate must carry
   */
  public Optional<String> state(String host, int port) {
    Request req = new Request.Builder().url("https://" + host + ":" + port + "/v1/state").build();
    try (Response resp = http.newCall(req).execute()) {
      if (!resp.isSuccessful() || resp.body() == null) {
        return Optional.empty();
      }
      JsonNode state = JSON.readTree(resp.body().string()).get("state");
      return state == null || !state.isTextual() ? Optional.empty() : Optional.of(state.asText());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Creating a wallet writes a lot to etcd: seconds, not the state read's two. */
  private OkHttpClient slow() {
    return http.newBuilder().readTimeout(WALLET_TIMEOUT).callTimeout(WALLET_TIMEOUT).build();
  }

  /** A 24-word aezeed mnemonic from LND's {@code GET /v1/genseed} (no macaroon needed). */
  public List<String> genSeed(String host, int port) throws IOException {
    Request req = new Request.Builder().url("https://" + host + ":" + port + "/v1/genseed").build();
    try (Response resp = slow().newCall(req).execute()) {
      JsonNode body = JSON.readTree(resp.body().string());
      JsonNode words = body.get("cipher_seed_mnemonic");
      if (!resp.isSuccessful() || words == null || !words.isArray()) {
        throw new IOException("genseed failed with HTTP " + resp.code());
      }
      List<String> out = new ArrayList<>();
      words.forEach(w -> out.add(w.asText()));
      return out;
    }
  }

  /**
   * Creates the wallet from a mnemonic with LND's {@code POST /v1/initwallet} and returns the admin
   * macaroon LND hands back. Error texts never include the request.
   *
   * @param recoveryWindow addresses to scan for funds when restoring; 0 for a new seed
   * @param macaroonRootKey the 32-byte macaroon root key LND is to use instead of one it generates,
   *     or null
   */
  public byte[] initWallet(
      String host,
      int port,
      String password,
      List<String> mnemonic,
      int recoveryWindow,
      byte[] macaroonRootKey)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.put("wallet_password", password.getBytes(StandardCharsets.UTF_8));
    if (macaroonRootKey != null) {
      body.put("macaroon_root_key", macaroonRootKey);
    }
    ArrayNode words = body.putArray("cipher_seed_mnemonic");
    mnemonic.forEach(words::add);
    if (recoveryWindow > 0) {
      body.put("recovery_window", recoveryWindow);
    }
    Request req =
        new Request.Builder()
            .url("https://" + host + ":" + port + "/v1/initwallet")
            .post(
                RequestBody.create(JSON.writeValueAsBytes(body), MediaType.get("application/json")))
            .build();
    try (Response resp = slow().newCall(req).execute()) {
      JsonNode answer = JSON.readTree(resp.body().string());
      JsonNode mac = answer.get("admin_macaroon");
      if (!resp.isSuccessful() || mac == null || !mac.isTextual()) {
        JsonNode message = answer.get("message");
        throw new IOException(
            "initwallet failed with HTTP "
                + resp.code()
                + (message != null ? ": " + message.asText() : ""));
      }
      return Base64.getDecoder().decode(mac.asText());
    }
  }
}
