package dev.operator.lightning.harness;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lightweight stand-in for one LND member, for tests and benchmarks only. It campaigns exactly as
 * LND's etcd elector does (Go's {@code concurrency.Election}): a session lease with the configured
 * TTL kept alive by the client, key {@code namespace+prefix+"/"+hex(lease)} holding the cluster.id,
 * created only if absent, then waits until every key with a lower create revision is gone;
 * resigning deletes the key. It serves {@code GET /v1/state} and the stream {@code GET
 * /v1/state/subscribe} (one JSON line per state, from the current one on, as LND's REST gateway
 * sends them) over TLS with LND's state names. Like LND between its minute-long leader health
 * checks, it keeps claiming to be active after losing its lease: that is what fencing exists for.
 */
public final class LndStandIn implements MemberProcess, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LndStandIn.class);
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private static volatile List<String> lastMnemonic = List.of();
  private static final java.util.concurrent.atomic.AtomicInteger walletsCreated =
      new java.util.concurrent.atomic.AtomicInteger();

  /** What a member pod's arguments and lnd.conf configure. */
  public record Config(
      String clusterId,
      String etcdEndpoint,
      String etcdNamespace,
      String electionPrefix,
      int leaderSessionTtlSeconds,
      String listenIp,
      int restPort,
      String tlsCertPem,
      String tlsKeyPem,
      String walletPassword) {}

  private final Config config;
  private final AtomicReference<String> state = new AtomicReference<>("WAITING_TO_START");
  private final Client etcd;
  private final HttpsServer http;
  private volatile long leaseId;
  private volatile String key;
  private volatile long createRevision;
  private volatile boolean stopped;
  private volatile boolean exited;
  private volatile Instant activeSince;
  private final Thread campaign;

  /**
   * One etcd client per endpoint for every stand-in, instead of one each, so that thousands of
   * members fit in one JVM (the scale benchmark). A crash then ends the member's keep-alive and its
   * watch instead of closing a client: its lease still lives until the TTL runs out.
   */
  private static volatile boolean shareClients;

  private static final java.util.Map<String, Client> sharedClients =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Members started from now on share one etcd client per endpoint (benchmarks). */
  public static void shareEtcdClients(boolean share) {
    shareClients = share;
  }

  private final boolean ownClient;
  private volatile io.etcd.jetcd.support.CloseableClient keepAlive;

  private LndStandIn(Config config) throws Exception {
    this.config = config;
    this.ownClient = !shareClients;
    this.etcd =
        ownClient
            ? Client.builder().endpoints("http://" + config.etcdEndpoint()).build()
            : sharedClients.computeIfAbsent(
                config.etcdEndpoint(), e -> Client.builder().endpoints("http://" + e).build());
    this.http = HttpsServer.create(new InetSocketAddress(config.listenIp(), config.restPort()), 0);
    http.setHttpsConfigurator(new HttpsConfigurator(sslContext(config)));
    http.createContext(
        "/v1/state",
        ex -> {
          awaitThawed();
          byte[] body = ("{\"state\":\"" + state.get() + "\"}").getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    http.createContext("/v1/genseed", ex -> respond(ex, 200, seedJson()));
    http.createContext("/v1/initwallet", this::initWallet);
    http.createContext("/v1/state/subscribe", this::streamStates);
    http.createContext("/v1/getinfo", this::nodeInfo);
    // A stream holds its handler: exchanges run on a pool shared by every stand-in.
    http.setExecutor(EXCHANGES);
    http.start();
    campaign = new Thread(this::campaign, "standin-" + config.clusterId());
    campaign.setDaemon(true);
  }

  /** One wallet creation at a time, as LND refuses a second one while the first runs. */
  private synchronized void initWallet(com.sun.net.httpserver.HttpExchange ex)
      throws java.io.IOException {
    var req = JSON.readTree(ex.getRequestBody());
    String pw =
        new String(
            Base64.getDecoder().decode(req.path("wallet_password").asText("")),
            StandardCharsets.UTF_8);
    if (!"NON_EXISTING".equals(state.get())) {
      respond(ex, 400, "{\"message\":\"wallet already exists\"}");
    } else if (!pw.equals(config.walletPassword())
        || req.path("cipher_seed_mnemonic").size() != 24) {
      respond(ex, 400, "{\"message\":\"invalid passphrase or mnemonic\"}");
    } else {
      try {
        etcd.getKVClient().put(bytes(walletKey()), bytes("created")).get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        respond(ex, 500, "{\"message\":\"etcd\"}");
        return;
      }
      walletsCreated.incrementAndGet();
      List<String> words = new java.util.ArrayList<>();
      req.path("cipher_seed_mnemonic").forEach(w -> words.add(w.asText()));
      lastMnemonic = List.copyOf(words);
      respond(
          ex,
          200,
          "{\"admin_macaroon\":\""
              + Base64.getEncoder()
                  .encodeToString("stand-in admin macaroon".getBytes(StandardCharsets.UTF_8))
              + "\"}");
      activate();
    }
  }

  private static final java.util.concurrent.ExecutorService EXCHANGES =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "standin-http");
            t.setDaemon(true);
            return t;
          });

  private final Object stateChanged = new Object();

  private void setState(String s) {
    synchronized (stateChanged) {
      state.set(s);
      stateChanged.notifyAll();
    }
  }

  /**
   * How GetInfo answers: null (the default) as a stand-in with no node, 404; otherwise after this
   * long, as LND cut off from its database answers its state at once but GetInfo late or never.
   */
  private volatile Duration nodeInfoDelay;

  /** From now on GetInfo answers with this member's identity after {@code delay}. */
  public void answerNodeInfoAfter(Duration delay) {
    nodeInfoDelay = delay;
  }

  /** The identity GetInfo reports once it answers. */
  public String identityPubkey() {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(config.clusterId().getBytes(StandardCharsets.UTF_8));
      return "02" + String.format("%064x", new java.math.BigInteger(1, digest));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private final java.util.concurrent.atomic.AtomicInteger nodeInfoRequests =
      new java.util.concurrent.atomic.AtomicInteger();

  /** How many GetInfo requests reached this member. */
  public int nodeInfoRequests() {
    return nodeInfoRequests.get();
  }

  private void nodeInfo(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
    nodeInfoRequests.incrementAndGet();
    Duration delay = nodeInfoDelay;
    if (delay == null) {
      respond(ex, 404, "{\"message\":\"Not Found\"}");
      return;
    }
    // The reply itself is what is late, as a stuck LND's; a stopped member holds no thread.
    Instant until = Instant.now().plus(delay);
    try {
      while (!stopped && Instant.now().isBefore(until)) {
        Thread.sleep(Math.min(100, Math.max(1, Duration.between(Instant.now(), until).toMillis())));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    respond(
        ex,
        200,
        "{\"identity_pubkey\":\""
            + identityPubkey()
            + "\",\"alias\":\""
            + config.clusterId()
            + "\",\"synced_to_chain\":true,\"num_peers\":0}");
  }

  /** LND's SubscribeState over REST: the current state, then each change, until the end. */
  private void streamStates(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, 0);
    try (java.io.OutputStream out = ex.getResponseBody()) {
      String sent = null;
      while (!stopped && !exited) {
        String now;
        synchronized (stateChanged) {
          now = state.get();
          if (now.equals(sent)) {
            stateChanged.wait(1000);
            now = state.get();
          }
        }
        if (now.equals(sent)) {
          // Nothing new: a blank line (clients skip it) finds out whether the subscriber left.
          out.write('\n');
          out.flush();
          continue;
        }
        out.write(("{\"result\":{\"state\":\"" + now + "\"}}\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        sent = now;
      }
    } catch (java.io.IOException | InterruptedException e) {
      // The subscriber went away, or this member stopped serving.
    } finally {
      ex.close();
    }
  }

  /** Starts serving /v1/state and campaigning. */
  public static LndStandIn start(Config config) {
    try {
      LndStandIn s = new LndStandIn(config);
      s.campaign.start();
      return s;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start stand-in " + config.clusterId(), e);
    }
  }

  public String state() {
    return state.get();
  }

  public Instant activeSince() {
    return activeSince;
  }

  public long leaseId() {
    return leaseId;
  }

  public Config config() {
    return config;
  }

  private void campaign() {
    try {
      String prefix = nz(config.etcdNamespace()) + config.electionPrefix() + "/";
      leaseId =
          etcd.getLeaseClient()
              .grant(config.leaderSessionTtlSeconds())
              .get(10, TimeUnit.SECONDS)
              .getID();
      keepAlive =
          etcd.getLeaseClient()
              .keepAlive(
                  leaseId,
                  new StreamObserver<LeaseKeepAliveResponse>() {
                    @Override
                    public void onNext(LeaseKeepAliveResponse value) {}

                    @Override
                    public void onError(Throwable t) {
                      log.info("{} lost its session: {}", config.clusterId(), t.toString());
                    }

                    @Override
                    public void onCompleted() {}
                  });
      if (stopped && !ownClient) {
        // Crashed while the session was being opened: the keep-alive must not outlive it.
        keepAlive.close();
        return;
      }
      key = prefix + Long.toHexString(leaseId);
      ByteSequence k = bytes(key);
      KV kv = etcd.getKVClient();
      TxnResponse t =
          kv.txn()
              .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
              .Then(
                  Op.put(
                      k,
                      bytes(config.clusterId()),
                      PutOption.builder().withLeaseId(leaseId).build()))
              .Else(Op.get(k, GetOption.DEFAULT))
              .commit()
              .get(10, TimeUnit.SECONDS);
      createRevision =
          t.isSucceeded()
              ? t.getHeader().getRevision()
              : t.getGetResponses().get(0).getKvs().get(0).getCreateRevision();
      waitForLowerKeysToGo(kv, prefix);
      if (stopped) {
        return;
      }
      log.info("{} is leader (lease {})", config.clusterId(), Long.toHexString(leaseId));
      if (config.walletPassword() != null
          && kv.get(bytes(walletKey())).get(10, TimeUnit.SECONDS).getKvs().isEmpty()) {
        // Like LND with wallet-unlock-allow-create and no wallet: wait for initwallet.
        setState("NON_EXISTING");
        return;
      }
      activate();
    } catch (Exception e) {
      if (!stopped) {
        // LND exits when its campaign fails; its container is then restarted.
        log.warn("{} campaign failed, exiting: {}", config.clusterId(), e.toString());
        exited = true;
        stopServing();
      }
    }
  }

  /** Leader with a wallet: unlocked (from the password file) and serving. */
  private void activate() {
    setState("RPC_ACTIVE");
    activeSince = Instant.now();
    setState("SERVER_ACTIVE");
  }

  /** Where the stand-ins of one cluster record that their shared wallet exists. */
  private String walletKey() {
    return nz(config.etcdNamespace()) + config.electionPrefix() + "-wallet";
  }

  /** The mnemonic of the last wallet a stand-in created. */
  public static List<String> lastMnemonic() {
    return lastMnemonic;
  }

  /** How many wallets this process created (tests check it is created once). */
  public static int walletsCreated() {
    return walletsCreated.get();
  }

  private static String seedJson() {
    StringBuilder b = new StringBuilder("{\"cipher_seed_mnemonic\":[");
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    for (int i = 0; i < 24; i++) {
      b.append(i == 0 ? "" : ",").append("\"word").append(r.nextInt(100000)).append('"');
    }
    return b.append("]}").toString();
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, int code, String body)
      throws java.io.IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(code, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  /** Whether the process ended on its own (a failed campaign), as a container would exit. */
  public boolean exited() {
    return exited;
  }

  /** Go's waitDeletes: watch the newest lower key until it is deleted, until none is left. */
  private void waitForLowerKeysToGo(KV kv, String prefix) throws Exception {
    while (!stopped) {
      GetResponse r =
          kv.get(
                  bytes(prefix),
                  GetOption.builder()
                      .isPrefix(true)
                      .withMaxCreateRevision(createRevision - 1)
                      .withSortField(GetOption.SortTarget.CREATE)
                      .withSortOrder(GetOption.SortOrder.DESCEND)
                      .withLimit(1)
                      .build())
              .get(10, TimeUnit.SECONDS);
      if (r.getKvs().isEmpty()) {
        return;
      }
      ByteSequence lower = r.getKvs().get(0).getKey();
      CompletableFuture<Void> deleted = new CompletableFuture<>();
      try (var w =
          etcd.getWatchClient()
              .watch(
                  lower,
                  WatchOption.builder().withRevision(r.getHeader().getRevision() + 1).build(),
                  resp -> {
                    if (resp.getEvents().stream()
                        .anyMatch(e -> e.getEventType() == WatchEvent.EventType.DELETE)) {
                      deleted.complete(null);
                    }
                  },
                  deleted::completeExceptionally)) {
        while (!stopped) {
          try {
            deleted.get(1, TimeUnit.SECONDS);
            break;
          } catch (java.util.concurrent.TimeoutException ignored) {
            // keep waiting; the loop re-checks stopped
          } catch (java.util.concurrent.ExecutionException broken) {
            // Go's client re-establishes a broken watch by itself: look again from the start.
            break;
          }
        }
      }
    }
  }

  /** LND's Resign: delete our key if it is still the one we created. */
  public void resign() {
    try {
      if (key != null) {
        ByteSequence k = bytes(key);
        etcd.getKVClient()
            .txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))
            .Then(Op.delete(k, io.etcd.jetcd.options.DeleteOption.DEFAULT))
            .commit()
            .get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      log.warn("{} could not resign: {}", config.clusterId(), e.toString());
    }
  }

  private volatile boolean frozen;

  /**
   * As SIGSTOP leaves LND: its session is no longer kept alive (it ends at its TTL) and no request
   * is answered, while the container still runs; {@link #thaw} lets it go on as before.
   */
  public void freeze() {
    frozen = true;
    if (keepAlive != null) {
      keepAlive.close();
    }
  }

  public void thaw() {
    synchronized (stateChanged) {
      frozen = false;
      stateChanged.notifyAll();
    }
  }

  private void awaitThawed() {
    synchronized (stateChanged) {
      while (frozen && !stopped) {
        try {
          stateChanged.wait(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** What LND does on SIGTERM: resign, end the session, stop serving. */
  public void shutdownGracefully() {
    stopped = true;
    resign();
    try {
      if (leaseId != 0) {
        etcd.getLeaseClient().revoke(leaseId).get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      log.debug("revoke on shutdown failed", e);
    }
    stopServing();
  }

  /** SIGKILL: nothing is cleaned up; the lease lives until its TTL runs out. */
  public void crash() {
    stopped = true;
    stopServing();
  }

  private void stopServing() {
    setState("NON_EXISTING");
    http.stop(0);
    if (ownClient) {
      etcd.close();
    } else if (keepAlive != null) {
      keepAlive.close();
    }
    campaign.interrupt();
  }

  @Override
  public void close() {
    crash();
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static SSLContext sslContext(Config c) throws Exception {
    return serverTls(c.tlsCertPem(), c.tlsKeyPem());
  }

  /** A server TLS context from a PEM certificate and its PKCS#8 EC key, as LND serves REST. */
  public static SSLContext serverTls(String certPem, String keyPem) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    Certificate cert =
        cf.generateCertificate(new ByteArrayInputStream(certPem.getBytes(StandardCharsets.UTF_8)));
    String b64 = keyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PrivateKey key =
        KeyFactory.getInstance("EC")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("lnd", key, new char[0], new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }
}
