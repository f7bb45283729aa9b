package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.NodeStatus;
import dev.operator.lightning.harness.HostsFile;
import dev.operator.lightning.harness.LndStandIn;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.Names;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reconnection's calls against an lnd played by a small HTTPS server: which calls, in which
 * order, with what, and none at all while GetInfo counts no inactive channel. The decision itself
 * is {@link StalledLinksTest}'s.
 */
class PeerReconnectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BOB = "02" + "b0".repeat(32);
  private static final String LISTENING = "10.203.0.9:9735";
  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
  private static final String SERVER_ACTIVE = PeerReconnection.SERVER_ACTIVE;
  private static final String PROCESS = "uid-0/lnd#0";
  private static final String ANNOUNCED = "bob.example:9735";

  private final Names names = new Names("alice", "peers-test");
  private final String leader = "alice-0";
  private final String host = leader + "." + names.serviceHost(names.membersService());
  private final String nextHost = "alice-1." + names.serviceHost(names.membersService());
  private final byte[] rootKey = new byte[32];
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<String> warnings = new CopyOnWriteArrayList<>();
  private final Map<String, String> kept = new ConcurrentHashMap<>();
  private final AtomicInteger saves = new AtomicInteger();
  private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
  private final Instant[] now = {T0};
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now[0];
        }
      };

  /** What the fake lnd shows: the one channel's link, and how bob is connected. */
  private volatile boolean channelActive;

  private volatile boolean bobConnected = true;
  private volatile boolean bobInbound;
  private volatile boolean bobAnnounces;

  /** Whether a ConnectPeer brings bob and the channel back at once (else lnd keeps dialling). */
  private volatile boolean dialsConnect = true;

  private volatile String lastMacaroonHex;
  private HttpsServer server;
  private LndRestClient lnd;

  @BeforeEach
  void startLnd() throws Exception {
    CertificateAuthority ca = CertificateAuthority.generate("peers-test-ca");
    CertificateAuthority.Issued tls =
        ca.issue(
            new CertificateRequest("tls", host, List.of(host, nextHost), List.of(), true, false));
    HostsFile.put(host, "127.77.0.1");
    HostsFile.put(nextHost, "127.77.0.1");
    server = HttpsServer.create(new InetSocketAddress("127.77.0.1", MemberPaths.REST_PORT), 0);
    server.setHttpsConfigurator(
        new HttpsConfigurator(LndStandIn.serverTls(tls.certificatePem(), tls.keyPem())));
    server.createContext("/v1/channels", this::channels);
    server.createContext("/v1/peers", this::peers);
    server.createContext("/v1/graph/node/", this::graphNode);
    server.start();
    lnd = new LndRestClient(ca.certificate());
  }

  @AfterEach
  void stopLnd() {
    server.stop(0);
    later.shutdownNow();
    HostsFile.remove(host);
    HostsFile.remove(nextHost);
  }

  @Test
  void onlyThePeersAreListedOnceWhileGetInfoCountsNoInactiveChannel() {
    PeerReconnection r = reconnection();
    assertThat(r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(0, 1), lnd)).isNull();
    now[0] = T0.plus(StalledLinks.GRACE).plusSeconds(30);
    assertThat(r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(0, 1), lnd)).isNull();
    assertThat(calls).containsExactly("GET /v1/peers");
  }

  @Test
  void aStalledChannelsPeerIsDisconnectedThenDialledAtItsListeningAddress() {
    PeerReconnection r = reconnection();
    assertThat(r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd))
        .isEqualTo(StalledLinks.LOOK);
    assertThat(calls).containsExactly("GET /v1/peers", "GET /v1/channels");
    now[0] = T0.plus(StalledLinks.GRACE);
    calls.clear();

    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd);

    assertThat(calls).contains("DELETE /v1/peers/" + BOB);
    String connect = calls.stream().filter(c -> c.startsWith("POST")).findFirst().orElseThrow();
    assertThat(calls.indexOf(connect)).isGreaterThan(calls.indexOf("DELETE /v1/peers/" + BOB));
    assertThat(connect)
        .isEqualTo(
            "POST /v1/peers {\"addr\":{\"pubkey\":\""
                + BOB
                + "\",\"host\":\""
                + LISTENING
                + "\"},\"perm\":true}");
    assertThat(warnings)
        .singleElement()
        .asString()
        .startsWith("ChannelPeerReconnected: channel(s) aa:0 of alice-0")
        .endsWith("disconnected it and connected again to " + LISTENING);
    // Minted for the purpose: peers and channels, nothing that can spend or sign.
    String macaroon =
        new String(HexFormat.of().parseHex(lastMacaroonHex), StandardCharsets.ISO_8859_1);
    assertThat(macaroon).contains("peers").contains("offchain").doesNotContain("onchain");
  }

  @Test
  void aPeerThatDialledInAndAnnouncesNoAddressIsLeftToDialInAgain() {
    bobInbound = true;
    PeerReconnection r = reconnection();
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd);
    now[0] = T0.plus(StalledLinks.GRACE);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd);
    assertThat(calls).contains("DELETE /v1/peers/" + BOB).noneMatch(c -> c.startsWith("POST"));
    assertThat(warnings).singleElement().asString().endsWith("so it dials in again");
  }

  @Test
  void aChannelStillDownAfterTheReconnectIsReportedAndNotReconnectedForAgain() {
    PeerReconnection r = reconnection();
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd);
    now[0] = T0.plus(StalledLinks.GRACE);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd);
    calls.clear();
    // The peer is back, yet the channel stays down for a whole grace: a channel the peer refuses.
    channelActive = false;
    now[0] = T0.plus(StalledLinks.GRACE).plusSeconds(2);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd);
    now[0] = T0.plus(StalledLinks.GRACE.multipliedBy(2)).plusSeconds(3);
    assertThat(r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd)).isNull();
    now[0] = T0.plus(StalledLinks.GRACE.multipliedBy(10));
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 1), lnd);
    assertThat(calls).noneMatch(c -> c.startsWith("DELETE"));
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(1)).startsWith("ChannelLinkNotRecovered: channel aa:0 of alice-0");
  }

  private PeerReconnection reconnection() {
    return new PeerReconnection(
        n -> n.equals(names) ? rootKey : null,
        new PeerReconnection.AddressBook() {
          @Override
          public Map<String, String> load(Names n) {
            return new TreeMap<>(kept);
          }

          @Override
          public void save(LightningCluster c, Names n, Map<String, String> addresses) {
            saves.incrementAndGet();
            kept.clear();
            kept.putAll(addresses);
          }
        },
        (c, reason, message) -> warnings.add(reason + ": " + message),
        clock);
  }

  private static LightningCluster cluster() {
    LightningCluster c = new LightningCluster();
    c.setMetadata(new ObjectMetaBuilder().withName("alice").withNamespace("peers-test").build());
    return c;
  }

  @Test
  void aLeaderWithPeersIsListedOnceAndTheAddressItDialledIsKept() {
    channelActive = true;
    PeerReconnection r = reconnection();
    assertThat(r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(0, 1), lnd)).isNull();
    assertThat(r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(0, 1), lnd)).isNull();
    assertThat(calls).containsExactly("GET /v1/peers");
    assertThat(kept).containsExactly(Map.entry(BOB, LISTENING));
    assertThat(saves).hasValue(1);
    // The next leader is listed once too; the same address is not written again.
    r.watch(cluster(), names, "alice-1", "uid-1/lnd#0", SERVER_ACTIVE, info(0, 1), lnd);
    assertThat(calls).containsExactly("GET /v1/peers", "GET /v1/peers");
    assertThat(saves).hasValue(1);
    // A peer more (or a channel more) on the same leader: listed again.
    r.watch(cluster(), names, "alice-1", "uid-1/lnd#0", SERVER_ACTIVE, info(0, 2), lnd);
    assertThat(calls).hasSize(3);
  }

  @Test
  void aPeerThatDialledInLeavesTheKeptAddressAsItIs() {
    channelActive = true;
    bobInbound = true;
    kept.put(BOB, LISTENING);
    reconnection().watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(0, 1), lnd);
    assertThat(kept).containsExactly(Map.entry(BOB, LISTENING));
    assertThat(saves).hasValue(0);
  }

  @Test
  void aChannelPeerLeftUnconnectedIsDialledAtTheKeptAddressAfterTheGrace() {
    bobConnected = false;
    kept.put(BOB, LISTENING);
    PeerReconnection r = reconnection();
    assertThat(r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd))
        .isEqualTo(StalledLinks.LOOK);
    assertThat(calls).containsExactly("GET /v1/channels");
    now[0] = T0.plus(UnconnectedPeers.GRACE).minusSeconds(1);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    assertThat(calls).noneMatch(c -> c.startsWith("POST"));

    now[0] = T0.plus(UnconnectedPeers.GRACE);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);

    assertThat(calls)
        .contains(
            "POST /v1/peers {\"addr\":{\"pubkey\":\""
                + BOB
                + "\",\"host\":\""
                + LISTENING
                + "\"},\"perm\":true}")
        .noneMatch(c -> c.startsWith("DELETE"));
    assertThat(warnings)
        .singleElement()
        .asString()
        .startsWith("ChannelPeerDialled: channel(s) aa:0 of alice-0")
        .contains("dialled it at " + LISTENING);
  }

  @Test
  void aLeaderWhoseServerIsStillStartingIsNotDialledForItsPeersCountFromItsStart() {
    bobConnected = false;
    kept.put(BOB, LISTENING);
    PeerReconnection r = reconnection();
    // RPC_ACTIVE: lnd answers, but dials its channel peers only at the end of its server's start.
    r.watch(cluster(), names, leader, PROCESS, "RPC_ACTIVE", info(1, 0), lnd);
    now[0] = T0.plus(UnconnectedPeers.GRACE).plusSeconds(20);
    r.watch(cluster(), names, leader, PROCESS, "RPC_ACTIVE", info(1, 0), lnd);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    assertThat(calls).noneMatch(c -> c.startsWith("POST"));
    now[0] = T0.plus(UnconnectedPeers.GRACE.multipliedBy(2)).plusSeconds(20);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    assertThat(calls).anyMatch(c -> c.startsWith("POST /v1/peers"));
  }

  @Test
  void everyKnownAddressIsDialledTheKeptOneFirst() {
    bobConnected = false;
    bobAnnounces = true;
    dialsConnect = false;
    kept.put(BOB, LISTENING);
    PeerReconnection r = reconnection();
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    now[0] = T0.plus(UnconnectedPeers.GRACE);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    List<String> posts = calls.stream().filter(c -> c.startsWith("POST")).toList();
    assertThat(posts).hasSize(2);
    assertThat(posts.get(0)).contains(LISTENING);
    assertThat(posts.get(1)).contains(ANNOUNCED);
    assertThat(warnings)
        .singleElement()
        .asString()
        .contains("dialled it at " + LISTENING + ", " + ANNOUNCED);
  }

  @Test
  void aPeerTheDialDidNotBringBackIsReportedOnceAndNotDialledAgainUntilItsChannelIsUp() {
    bobConnected = false;
    dialsConnect = false;
    kept.put(BOB, LISTENING);
    PeerReconnection r = reconnection();
    for (long s : new long[] {0, 15, 17, 32, 60, 120}) {
      now[0] = T0.plusSeconds(s);
      r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    }
    assertThat(calls.stream().filter(c -> c.startsWith("POST"))).hasSize(1);
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0)).startsWith("ChannelPeerDialled: ");
    assertThat(warnings.get(1)).startsWith("ChannelPeerUnreached: channel aa:0 of alice-0");
    // A restarted lnd in the same pod is a new process: it is dialled for afresh.
    now[0] = T0.plusSeconds(200);
    r.watch(cluster(), names, leader, "uid-0/lnd#1", SERVER_ACTIVE, info(1, 0), lnd);
    now[0] = T0.plusSeconds(215);
    r.watch(cluster(), names, leader, "uid-0/lnd#1", SERVER_ACTIVE, info(1, 0), lnd);
    assertThat(calls.stream().filter(c -> c.startsWith("POST"))).hasSize(2);
  }

  @Test
  void aPeerThatConnectedMeanwhileIsNeitherReportedNorDialledForAgain() {
    bobConnected = false;
    kept.put(BOB, LISTENING);
    PeerReconnection r = reconnection();
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    // GetInfo still counted no peer, but bob is back by the time lnd is asked to dial it.
    bobConnected = true;
    now[0] = T0.plus(UnconnectedPeers.GRACE);
    r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    bobConnected = false;
    for (int g = 3; g <= 6; g++) {
      now[0] = T0.plus(UnconnectedPeers.GRACE.multipliedBy(g));
      r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    }
    assertThat(warnings).isEmpty();
    assertThat(calls.stream().filter(c -> c.startsWith("POST"))).hasSize(1);
  }

  @Test
  void aChannelPeerWithNoKnownAddressIsNeitherDialledNorReported() {
    bobConnected = false;
    PeerReconnection r = reconnection();
    for (long s : new long[] {0, 15, 17, 32, 60}) {
      now[0] = T0.plusSeconds(s);
      r.watch(cluster(), names, leader, PROCESS, SERVER_ACTIVE, info(1, 0), lnd);
    }
    // The graph was asked once, for the one attempt; a peer that dials in is left to do so.
    assertThat(calls.stream().filter(c -> c.startsWith("GET /v1/graph/node/"))).hasSize(1);
    assertThat(calls).noneMatch(c -> c.startsWith("POST"));
    assertThat(warnings).isEmpty();
  }

  private static NodeStatus info(int inactive, int peers) {
    NodeStatus n = new NodeStatus();
    n.inactiveChannels = inactive;
    n.activeChannels = 1 - inactive;
    n.peers = peers;
    return n;
  }

  private void channels(HttpExchange ex) throws IOException {
    record(ex, null);
    respond(
        ex,
        200,
        "{\"channels\":[{\"channel_point\":\"aa:0\",\"remote_pubkey\":\""
            + BOB
            + "\",\"active\":"
            + channelActive
            + "}]}");
  }

  private void peers(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    record(ex, "POST".equals(method) ? JSON.readTree(body) : null);
    switch (method) {
      case "GET" ->
          respond(
              ex,
              200,
              bobConnected
                  ? "{\"peers\":[{\"pub_key\":\""
                      + BOB
                      + "\",\"address\":\""
                      + (bobInbound ? "10.203.0.9:48812" : LISTENING)
                      + "\",\"inbound\":"
                      + bobInbound
                      + "}]}"
                  : "{\"peers\":[]}");
      case "DELETE" -> {
        // As lnd: the connection closes in the background after the answer.
        later.schedule(() -> bobConnected = false, 300, TimeUnit.MILLISECONDS);
        respond(ex, 200, "{\"status\":\"disconnect initiated\"}");
      }
      case "POST" -> {
        if (bobConnected) {
          respond(ex, 500, "{\"code\":2,\"message\":\"already connected to peer: " + BOB + "\"}");
        } else {
          if (dialsConnect) {
            bobConnected = true;
            channelActive = true;
          }
          respond(ex, 200, "{\"status\":\"connection initiated\"}");
        }
      }
      default -> respond(ex, 405, "{}");
    }
  }

  private void graphNode(HttpExchange ex) throws IOException {
    record(ex, null);
    if (bobAnnounces) {
      respond(ex, 200, "{\"node\":{\"addresses\":[{\"addr\":\"" + ANNOUNCED + "\"}]}}");
    } else {
      respond(ex, 404, "{\"code\":5,\"message\":\"unable to find node\"}");
    }
  }

  private void record(HttpExchange ex, JsonNode body) {
    lastMacaroonHex = ex.getRequestHeaders().getFirst("Grpc-Metadata-macaroon");
    calls.add(
        ex.getRequestMethod()
            + " "
            + ex.getRequestURI().getPath()
            + (body == null ? "" : " " + body));
  }

  private static void respond(HttpExchange ex, int code, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(code, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }
}
