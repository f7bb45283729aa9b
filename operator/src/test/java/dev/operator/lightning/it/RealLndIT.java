package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.election.Candidate;
import dev.operator.lightning.election.ElectionObserver;
import dev.operator.lightning.election.EtcdTarget;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.LndProcess;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.lnd.Macaroons;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.LndConfig;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.MemberPodBuilder;
import dev.operator.lightning.pki.CertificateAuthority;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * The real lnd binary (built with kvdb_etcd) on real etcd, configured with exactly the lnd.conf and
 * cluster.id argument the operator renders; only mount paths point at temporary files and each
 * member gets its own loopback address. It proves the rendered configuration works, that the
 * operator's election observer reads LND's real election keys, that revoking a dead leader's lease
 * hands over well under the TTL, and that the state is shared: every leader has the same identity.
 */
class RealLndIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "real-lnd-wallet-password";

  @Test
  void realLndMembersElectHandOverAndShareOneIdentity() throws Exception {
    List<LndProcess> members = new ArrayList<>();
    try (EtcdServer etcd = EtcdServer.start();
        ElectionObserver observer = new ElectionObserver(k -> {}, Clock.systemUTC())) {
      LightningCluster lc = Clusters.onEtcd("real", "omega", etcd.endpoint(), null);
      lc.getMetadata().setUid("uid-omega");
      EffectiveSpec spec = EffectiveSpec.of(lc);
      CertificateAuthority ca = CertificateAuthority.generate("real/omega");
      List<String> ips = List.of("127.1.200.1", "127.1.200.2", "127.1.200.3");
      Path dir = Files.createTempDirectory("real-lnd");
      CertificateAuthority.Issued tls =
          ca.issue(new CertificateRequest("t", "omega", List.of("localhost"), ips, true, false));
      Files.createDirectories(dir.resolve("tls"));
      Files.writeString(dir.resolve("tls/tls.crt"), tls.certificatePem());
      Files.writeString(dir.resolve("tls/tls.key"), tls.keyPem());
      Files.createDirectories(dir.resolve("wallet"));
      Files.writeString(dir.resolve("wallet/password"), PASSWORD);
      String rendered =
          LndConfig.render(spec, LndConfig.Credentials.NONE)
              .replace(MemberPaths.LND_TLS_DIR, dir.resolve("tls").toString())
              .replace(MemberPaths.WALLET_DIR, dir.resolve("wallet").toString());
      HttpClient http = https(ca);

      for (int i = 0; i < 3; i++) {
        String clusterId =
            MemberPodBuilder.build(lc, spec, i, "h", false)
                .getSpec()
                .getContainers()
                .get(0)
                .getArgs()
                .stream()
                .filter(a -> a.startsWith("--cluster.id="))
                .findFirst()
                .orElseThrow();
        // Each member has its own data directory, as each pod has its own emptyDir.
        Path home = Files.createDirectories(dir.resolve("member-" + i));
        Path conf = home.resolve("lnd.conf");
        Files.writeString(conf, rendered.replace(MemberPaths.LND_DIR, home.toString()));
        members.add(LndProcess.start(home, conf, ips.get(i), List.of(clusterId, "--nobootstrap")));
        if (i == 0) {
          // The first member leads; with no wallet yet it waits in NON_EXISTING.
          awaitState(http, members.get(0), "NON_EXISTING");
        }
      }
      awaitState(http, members.get(1), "WAITING_TO_START");
      awaitState(http, members.get(2), "WAITING_TO_START");

      String key = "real/omega";
      observer.track(
          key,
          new EtcdTarget(etcd.endpoint(), null, null, null, null, null),
          spec.electionPrefix() + "/");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                var ids =
                    observer.view(key).candidates().stream().map(Candidate::clusterId).toList();
                assertThat(ids).containsExactlyInAnyOrder("omega-0", "omega-1", "omega-2");
                assertThat(ids.get(0)).as("the lowest create revision leads").isEqualTo("omega-0");
              });

      // Wallet creation through the leader's REST API, with the operator's own client.
      LndRestClient rest = new LndRestClient(ca.certificate());
      List<String> seed = rest.genSeed(members.get(0).ip(), MemberPaths.REST_PORT);
      assertThat(seed).hasSize(24);
      // The operator chooses the macaroon root key, so it can mint LND's macaroons itself.
      byte[] rootKey = new byte[Macaroons.ROOT_KEY_BYTES];
      new java.security.SecureRandom().nextBytes(rootKey);
      byte[] adminMacaroon =
          rest.initWallet(
              members.get(0).ip(), MemberPaths.REST_PORT, PASSWORD, seed, 0, rootKey, null);
      assertThat(adminMacaroon).isNotEmpty();
      assertThat(
              Macaroons.mint(
                  rootKey, Macaroons.DEFAULT_ROOT_KEY_ID, Macaroons.ADMIN, nonceOf(adminMacaroon)))
          .as("the admin macaroon minted from the root key, byte for byte lnd's own")
          .isEqualTo(adminMacaroon);
      awaitState(http, members.get(0), "SERVER_ACTIVE");
      String identity = identity(http, members.get(0));
      assertThat(identity).hasSize(66);
      byte[] nonce = new byte[16];
      new java.security.SecureRandom().nextBytes(nonce);
      byte[] minted =
          Macaroons.mint(rootKey, Macaroons.DEFAULT_ROOT_KEY_ID, Macaroons.ADMIN, nonce);
      assertThat(
              get(http, members.get(0), "/v1/getinfo", HexFormat.of().formatHex(minted))
                  .get("identity_pubkey")
                  .asText())
          .as("lnd accepts a freshly minted admin macaroon")
          .isEqualTo(identity);
      // The pods' readiness probe script, against real LND: ready only for the active leader.
      assertThat(probe(dir, members.get(0))).as("probe of the leader").isZero();
      assertThat(probe(dir, members.get(1))).as("probe of a follower").isEqualTo(1);

      // Kill the leader hard: its key stays until the TTL...
      Instant killed = Instant.now();
      members.get(0).killHard();
      Candidate dead = observer.view(key).leader().orElseThrow();
      assertThat(dead.clusterId()).isEqualTo("omega-0");
      // ...unless its lease is revoked, as the operator does once Kubernetes confirms the death.
      observer.revoke(key, dead.leaseId());
      LndProcess next = awaitActiveAmong(http, members.subList(1, 3));
      Duration handover = Duration.between(killed, Instant.now());
      System.out.printf(
          "real lnd: kill -9 of the leader, lease revoked -> %s SERVER_ACTIVE in %d ms (TTL %d s)%n",
          next.ip(), handover.toMillis(), spec.leaderSessionTtlSeconds());
      assertThat(handover).isLessThan(Duration.ofSeconds(spec.leaderSessionTtlSeconds()));
      assertThat(identity(http, next))
          .as("the new leader has the same identity")
          .isEqualTo(identity);

      // A graceful stop resigns: the last member takes over without any revocation.
      Instant stopped = Instant.now();
      next.stopGracefully();
      LndProcess last = awaitActiveAmong(http, members.subList(1, 3));
      System.out.printf(
          "real lnd: SIGTERM of the leader (resign) -> %s SERVER_ACTIVE in %d ms%n",
          last.ip(), Duration.between(stopped, Instant.now()).toMillis());
      assertThat(last).isNotSameAs(next);
      assertThat(identity(http, last)).isEqualTo(identity);
    } finally {
      members.forEach(LndProcess::close);
    }
  }

  /** The nonce of a macaroon: field 1 of the protobuf identifier after its version byte. */
  private static byte[] nonceOf(byte[] macaroon) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(macaroon);
    assertThat(b.get()).as("binary format version").isEqualTo((byte) 2);
    assertThat(varint(b)).as("location packet").isEqualTo(1);
    int location = varint(b);
    b.position(b.position() + location);
    assertThat(varint(b)).as("identifier packet").isEqualTo(2);
    varint(b);
    assertThat(b.get()).as("bakery version").isEqualTo((byte) 3);
    assertThat(b.get()).as("nonce field").isEqualTo((byte) 0x0a);
    byte[] nonce = new byte[varint(b)];
    b.get(nonce);
    return nonce;
  }

  private static int varint(java.nio.ByteBuffer b) {
    int value = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b.get();
      value |= (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return value;
      }
    }
  }

  /** Runs the member readiness probe script against one member (its address and cert path). */
  private static int probe(Path dir, LndProcess m) throws Exception {
    String script =
        dev.operator.lightning.model.ReadinessProbe.SCRIPT
            .replace(MemberPaths.LND_TLS_DIR, dir.resolve("tls").toString())
            .replace("127.0.0.1", m.ip());
    Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  private static LndProcess awaitActiveAmong(HttpClient http, List<LndProcess> candidates) {
    List<LndProcess> found = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .alias("a member in SERVER_ACTIVE")
        .until(
            () -> {
              for (LndProcess m : candidates) {
                if (m.alive() && "SERVER_ACTIVE".equals(state(http, m).orElse(null))) {
                  found.add(m);
                  return true;
                }
              }
              return false;
            });
    return found.get(0);
  }

  private static void awaitState(HttpClient http, LndProcess m, String want) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () ->
                assertThat(state(http, m))
                    .as("state of lnd at %s; log:%n%s", m.ip(), m.logTail())
                    .contains(want));
  }

  private static Optional<String> state(HttpClient http, LndProcess m) {
    try {
      return Optional.ofNullable(get(http, m, "/v1/state", null).get("state"))
          .map(JsonNode::asText);
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private static String identity(HttpClient http, LndProcess m) throws Exception {
    Path mac = m.lndDir().resolve("data/chain/bitcoin/regtest/admin.macaroon");
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(mac));
    return get(http, m, "/v1/getinfo", HexFormat.of().formatHex(Files.readAllBytes(mac)))
        .get("identity_pubkey")
        .asText();
  }

  private static JsonNode get(HttpClient http, LndProcess m, String path, String macaroon)
      throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(url(m, path)).timeout(Duration.ofSeconds(10));
    if (macaroon != null) {
      r.header("Grpc-Metadata-macaroon", macaroon);
    }
    return JSON.readTree(http.send(r.build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private static URI url(LndProcess m, String path) {
    return URI.create("https://" + m.ip() + ":8080" + path);
  }

  private static HttpClient https(CertificateAuthority ca) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(2)).build();
  }
}
