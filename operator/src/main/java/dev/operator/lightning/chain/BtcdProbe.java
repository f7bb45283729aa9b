package dev.operator.lightning.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.operator.lightning.pki.TlsFailures;
import dev.operator.lightning.pki.TrustedCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Checks what an LND member will need from btcd before any member is given the settings: the RPC
 * server is reachable, its certificate verifies against the one in the spec for the host name LND
 * dials, and the credentials are accepted. LND exits at start when any of these fails, so a wrong
 * value rolled onto the members would take them down one by one; the operator refuses it instead.
 */
public final class BtcdProbe {
  public static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One TLS client per trusted certificate, so a pass does not build a TLS context again. */
  private static final java.util.Map<String, OkHttpClient> CLIENTS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** What the probe found; {@code reason} is a condition reason, null when all is well. */
  public record Result(String reason, String message, Long blockCount) {
    public boolean ok() {
      return reason == null;
    }
  }

  public static final String UNREACHABLE = "ChainBackendUnreachable";
  public static final String CERTIFICATE_REJECTED = "ChainCertificateRejected";
  public static final String CREDENTIALS_REJECTED = "ChainCredentialsRejected";

  private BtcdProbe() {}

  /** btcd's RPC port on each network, which LND adds to a host given without one. */
  public static int defaultRpcPort(dev.operator.lightning.api.Network network) {
    return switch (network) {
      case mainnet -> 8334;
      case testnet, regtest -> 18334;
      case testnet4 -> 48334;
      case signet -> 38332;
      case simnet -> 18556;
    };
  }

  /**
   * @param rpcHost host or host:port as in the spec; without a port, {@code defaultPort}
   */
  public static Result probe(
      String rpcHost, int defaultPort, String certPem, String user, String pass) {
    String hostPort = rpcHost.contains(":") ? rpcHost : rpcHost + ":" + defaultPort;
    OkHttpClient http;
    try {
      http = CLIENTS.get(certPem);
      if (http == null) {
        http = client(certPem);
        if (CLIENTS.size() > 256) {
          CLIENTS.clear(); // certificates of clusters long gone: start over
        }
        CLIENTS.put(certPem, http);
      }
    } catch (GeneralSecurityException | IOException e) {
      return new Result(
          CERTIFICATE_REJECTED, "the btcd RPC certificate cannot be read: " + e.getMessage(), null);
    }
    String credentials =
        Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
    Request req =
        new Request.Builder()
            .url("https://" + hostPort + "/")
            .header("Authorization", "Basic " + credentials)
            .post(
                RequestBody.create(
                    "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"getblockcount\",\"params\":[]}",
                    MediaType.get("application/json")))
            .build();
    try (Response resp = http.newCall(req).execute()) {
      if (resp.code() == 401) {
        return new Result(
            CREDENTIALS_REJECTED,
            "btcd at " + hostPort + " refused the RPC credentials (HTTP 401)",
            null);
      }
      if (!resp.isSuccessful() || resp.body() == null) {
        return new Result(
            UNREACHABLE, "btcd at " + hostPort + " answered HTTP " + resp.code(), null);
      }
      JsonNode answer = JSON.readTree(resp.body().string());
      return new Result(null, null, answer.path("result").asLong(0));
    } catch (SSLPeerUnverifiedException e) {
      return new Result(
          CERTIFICATE_REJECTED,
          "btcd at " + hostPort + " presented a certificate that is not for this host name",
          null);
    } catch (SSLException e) {
      if (!TlsFailures.certificateRejected(e)) {
        return new Result(
            UNREACHABLE,
            "btcd at " + hostPort + " broke off the TLS handshake: " + e.getMessage(),
            null);
      }
      return new Result(
          CERTIFICATE_REJECTED,
          "btcd at "
              + hostPort
              + " presented a certificate that does not verify against spec.chain.btcd"
              + ".rpcCertSecretRef",
          null);
    } catch (IOException e) {
      return new Result(
          UNREACHABLE, "btcd at " + hostPort + " is unreachable: " + e.getMessage(), null);
    }
  }

  private static OkHttpClient client(String certPem) throws GeneralSecurityException, IOException {
    TrustedCertificates.Trust trust = TrustedCertificates.of(certPem);
    return new OkHttpClient.Builder()
        .sslSocketFactory(trust.socketFactory(), trust.trustManager())
        .connectTimeout(TIMEOUT)
        .readTimeout(TIMEOUT)
        .callTimeout(TIMEOUT.multipliedBy(2))
        .retryOnConnectionFailure(false)
        .build();
  }
}
