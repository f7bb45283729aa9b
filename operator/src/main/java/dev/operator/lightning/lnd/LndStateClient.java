package dev.operator.lightning.lnd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Reads LND's {@code GET /v1/state} (no macaroon needed). The certificate chain is verified against
 * the cluster CA and the name against the member's DNS name, since pod IPs are not in the
 * certificate.
 */
public final class LndStateClient {
  public static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);
  public static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OkHttpClient http;

  public LndStateClient(X509Certificate trustedCa) {
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
}
