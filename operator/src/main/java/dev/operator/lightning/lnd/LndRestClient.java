package dev.operator.lightning.lnd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.operator.lightning.pki.TrustedCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
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

  /**
   * A channel backup export is small and quick; it runs inside a pass, which holds back the next
   * one (the one that routes a new leader), so a leader that stopped answering mid-call may cost no
   * more than this.
   */
  public static final Duration EXPORT_TIMEOUT = Duration.ofSeconds(5);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final OkHttpClient http;

  public LndRestClient(X509Certificate trustedCa) {
    try {
      TrustedCertificates.Trust trust = TrustedCertificates.of(java.util.List.of(trustedCa));
      http =
          new OkHttpClient.Builder()
              .sslSocketFactory(trust.socketFactory(), trust.trustManager())
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

  /**
   * Streams are few (one per cluster whose new leader is activating) but each holds a call for up
   * to its limit: they get a dispatcher of their own, so they never queue behind each other or
   * behind OkHttp's default of 64 calls.
   */
  private static final okhttp3.Dispatcher STREAMS = streamDispatcher();

  private static okhttp3.Dispatcher streamDispatcher() {
    okhttp3.Dispatcher d = new okhttp3.Dispatcher();
    d.setMaxRequests(4096);
    d.setMaxRequestsPerHost(2);
    return d;
  }

  /**
   * Follows LND's {@code GET /v1/state/subscribe} (SubscribeState; no macaroon needed): calls
   * {@code onState} with the current state and then with each change, on a thread of its own, until
   * the stream ends, fails, is cancelled or runs for {@code limit}; then {@code onEnd}.
   *
   * @return cancels the stream
   */
  public Runnable subscribeState(
      String host,
      int port,
      Duration limit,
      java.util.function.Consumer<String> onState,
      Runnable onEnd) {
    OkHttpClient streaming =
        http.newBuilder().dispatcher(STREAMS).readTimeout(limit).callTimeout(limit).build();
    Request req =
        new Request.Builder().url("https://" + host + ":" + port + "/v1/state/subscribe").build();
    okhttp3.Call call = streaming.newCall(req);
    call.enqueue(
        new okhttp3.Callback() {
          @Override
          public void onFailure(okhttp3.Call c, IOException e) {
            onEnd.run();
          }

          @Override
          public void onResponse(okhttp3.Call c, Response resp) {
            try (resp) {
              if (!resp.isSuccessful() || resp.body() == null) {
                return;
              }
              okio.BufferedSource lines = resp.body().source();
              for (String line = lines.readUtf8Line(); line != null; line = lines.readUtf8Line()) {
                stateOfLine(line).ifPresent(onState);
              }
            } catch (IOException | RuntimeException e) {
              // Ended: cancelled, timed out, or the member went away.
            } finally {
              onEnd.run();
            }
          }
        });
    return call::cancel;
  }

  /** The state in one line of LND's REST stream: {"result":{"state":"RPC_ACTIVE"}}. */
  public static Optional<String> stateOfLine(String line) {
    if (line.isBlank()) {
      return Optional.empty();
    }
    try {
      JsonNode state = JSON.readTree(line).path("result").path("state");
      return state.isTextual() ? Optional.of(state.asText()) : Optional.empty();
    } catch (IOException e) {
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
   * @param multiChannelBackup a multi-channel backup to restore the channels from, or null
   */
  public byte[] initWallet(
      String host,
      int port,
      String password,
      List<String> mnemonic,
      int recoveryWindow,
      byte[] macaroonRootKey,
      byte[] multiChannelBackup)
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
    if (multiChannelBackup != null) {
      body.putObject("channel_backups")
          .putObject("multi_chan_backup")
          .put("multi_chan_backup", multiChannelBackup);
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

  /** What GetInfo says about the node; the counts are LND's. */
  public record NodeInfo(
      String identityPubkey,
      String alias,
      boolean syncedToChain,
      boolean syncedToGraph,
      long blockHeight,
      int peers,
      int activeChannels,
      int inactiveChannels,
      int pendingChannels) {}

  /**
   * LND's {@code GET /v1/getinfo}.
   *
   * @param macaroon a macaroon with info:read (the operator passes its read-only one)
   */
  public NodeInfo getInfo(String host, int port, byte[] macaroon) throws IOException {
    JsonNode b = get(host, port, "/v1/getinfo", macaroon, http);
    return new NodeInfo(
        b.path("identity_pubkey").asText(null),
        b.path("alias").asText(null),
        b.path("synced_to_chain").asBoolean(false),
        b.path("synced_to_graph").asBoolean(false),
        b.path("block_height").asLong(0),
        b.path("num_peers").asInt(0),
        b.path("num_active_channels").asInt(0),
        b.path("num_inactive_channels").asInt(0),
        b.path("num_pending_channels").asInt(0));
  }

  /**
   * A multi-channel backup: the encrypted blob LND restores from, and the channel points it covers
   * as {@code txid:index} (txid in the usual reversed hex).
   */
  public record ChannelBackup(byte[] multiChannelBackup, List<String> channelPoints) {}

  /**
   * LND's {@code GET /v1/channels/backup} (ExportAllChannelBackups; offchain:read): the backup of
   * every open and pending channel.
   */
  public ChannelBackup exportChannelBackups(String host, int port, byte[] macaroon)
      throws IOException {
    JsonNode multi =
        get(
                host,
                port,
                "/v1/channels/backup",
                macaroon,
                http.newBuilder().readTimeout(EXPORT_TIMEOUT).callTimeout(EXPORT_TIMEOUT).build())
            .path("multi_chan_backup");
    List<String> points = new ArrayList<>();
    for (JsonNode p : multi.path("chan_points")) {
      points.add(channelPoint(p));
    }
    String blob = multi.path("multi_chan_backup").asText("");
    return new ChannelBackup(Base64.getDecoder().decode(blob), List.copyOf(points));
  }

  /** A channel as ListChannels shows it: whether its link is up, and its peer. */
  public record Channel(String channelPoint, String remotePubkey, boolean active) {}

  /** LND's {@code GET /v1/channels} (ListChannels; offchain:read): the open channels. */
  public List<Channel> listChannels(String host, int port, byte[] macaroon) throws IOException {
    List<Channel> out = new ArrayList<>();
    for (JsonNode c : get(host, port, "/v1/channels", macaroon, http).path("channels")) {
      out.add(
          new Channel(
              c.path("channel_point").asText(),
              c.path("remote_pubkey").asText(),
              c.path("active").asBoolean(false)));
    }
    return out;
  }

  /**
   * A connected peer: its address is where it listens when this node dialled it, and its outgoing
   * socket when it dialled in.
   */
  public record Peer(String pubkey, String address, boolean inbound) {}

  /** LND's {@code GET /v1/peers} (ListPeers; peers:read): the connected peers. */
  public List<Peer> listPeers(String host, int port, byte[] macaroon) throws IOException {
    List<Peer> out = new ArrayList<>();
    for (JsonNode p : get(host, port, "/v1/peers", macaroon, http).path("peers")) {
      out.add(
          new Peer(
              p.path("pub_key").asText(),
              p.path("address").asText(),
              p.path("inbound").asBoolean(false)));
    }
    return out;
  }

  /**
   * The addresses a node announced in the channel graph, from LND's {@code GET
   * /v1/graph/node/{pubkey}} (GetNodeInfo; info:read); empty for a node the graph does not know.
   */
  public List<String> announcedAddresses(String host, int port, byte[] macaroon, String pubkey)
      throws IOException {
    JsonNode node;
    try {
      node = get(host, port, "/v1/graph/node/" + pubkey, macaroon, http).path("node");
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().contains("unable to find node")) {
        return List.of();
      }
      throw e;
    }
    List<String> out = new ArrayList<>();
    node.path("addresses").forEach(a -> out.add(a.path("addr").asText()));
    return out;
  }

  /**
   * LND's {@code DELETE /v1/peers/{pubkey}} (DisconnectPeer; peers:write). lnd closes the
   * connection shortly after answering and no longer counts the peer among those it keeps
   * connected.
   */
  public void disconnectPeer(String host, int port, byte[] macaroon, String pubkey)
      throws IOException {
    call(host, port, "/v1/peers/" + pubkey, macaroon, http, "DELETE", null);
  }

  /**
   * LND's {@code POST /v1/peers} (ConnectPeer; peers:write) with {@code perm}: lnd dials in the
   * background and keeps the peer connected from then on, as it does for a channel peer it started
   * with.
   */
  public void connectPeer(String host, int port, byte[] macaroon, String pubkey, String address)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("addr").put("pubkey", pubkey).put("host", address);
    body.put("perm", true);
    call(host, port, "/v1/peers", macaroon, http, "POST", body);
  }

  /** LND's JSON channel point (txid bytes in wire order, base64) as txid:index. */
  static String channelPoint(JsonNode p) {
    String txid;
    if (p.hasNonNull("funding_txid_str") && !p.get("funding_txid_str").asText().isEmpty()) {
      txid = p.get("funding_txid_str").asText();
    } else {
      byte[] wire = Base64.getDecoder().decode(p.path("funding_txid_bytes").asText(""));
      byte[] reversed = new byte[wire.length];
      for (int i = 0; i < wire.length; i++) {
        reversed[i] = wire[wire.length - 1 - i];
      }
      txid = java.util.HexFormat.of().formatHex(reversed);
    }
    return txid + ":" + p.path("output_index").asInt(0);
  }

  private static JsonNode get(String host, int port, String path, byte[] macaroon, OkHttpClient c)
      throws IOException {
    return call(host, port, path, macaroon, c, "GET", null);
  }

  private static JsonNode call(
      String host,
      int port,
      String path,
      byte[] macaroon,
      OkHttpClient c,
      String method,
      ObjectNode body)
      throws IOException {
    Request req =
        new Request.Builder()
            .url("https://" + host + ":" + port + path)
            .header("Grpc-Metadata-macaroon", java.util.HexFormat.of().formatHex(macaroon))
            .method(
                method,
                body == null
                    ? ("POST".equals(method) ? RequestBody.create(new byte[0]) : null)
                    : RequestBody.create(
                        JSON.writeValueAsBytes(body), MediaType.get("application/json")))
            .build();
    try (Response resp = c.newCall(req).execute()) {
      JsonNode answer = JSON.readTree(resp.body().string());
      if (!resp.isSuccessful()) {
        JsonNode message = answer.get("message");
        throw new IOException(
            path
                + " answered HTTP "
                + resp.code()
                + (message != null ? ": " + message.asText() : ""));
      }
      return answer;
    }
  }
}
