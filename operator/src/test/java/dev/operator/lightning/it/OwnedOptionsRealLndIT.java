package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LndSpec;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.LndProcess;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.model.EffectiveSpec;
import dev.operator.lightning.model.LndConfig;
import dev.operator.lightning.model.MemberPaths;
import dev.operator.lightning.model.OwnedLndOptions;
import dev.operator.lightning.pki.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real lnd decides what a {@code spec.lnd.config} does to its database: each snippet is
 * rendered into lnd.conf exactly as the operator renders it and lnd is started on etcd, ten times
 * (a refused one until it opens bbolt, at most sixty), until it opens its database (it does so
 * right after winning the election). Every snippet the operator's check accepts keeps LND's state
 * in etcd (or makes lnd refuse to start) on every start; every one it refuses opens a local bbolt
 * database on some start, so the check refuses what matters.
 */
class OwnedOptionsRealLndIT {
  private static final String REMOTE = "Using remote etcd database";
  private static final String BBOLT = "Opening bbolt database";
  private static final AtomicInteger CLUSTERS = new AtomicInteger();
  private static EtcdServer etcd;
  private static CertificateAuthority ca;
  private static Path tls;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdServer.start();
    ca = CertificateAuthority.generate("real/owned");
    tls = Files.createTempDirectory("owned-options-tls");
    CertificateAuthority.Issued cert =
        ca.issue(
            new CertificateRequest(
                "t", "owned", List.of("localhost"), List.of("127.1.210.1"), true, false));
    Files.writeString(tls.resolve("tls.crt"), cert.certificatePem());
    Files.writeString(tls.resolve("tls.key"), cert.keyPem());
  }

  @AfterAll
  static void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  /** What the operator makes of a snippet. */
  enum Verdict {
    ACCEPTED,
    OWNED,
    INVALID
  }

  static Stream<Arguments> snippets() {
    return Stream.of(
        // accepted: the user's own options
        Arguments.of("alias=my-node\ncolor=#3399FF", Verdict.ACCEPTED),
        Arguments.of("[Autopilot]\nActive=false", Verdict.ACCEPTED),
        Arguments.of("[Application Options]\nmaxpendingchannels=2", Verdict.ACCEPTED),
        // refused as lnd would refuse them: it does not start with them
        Arguments.of("[db]\nbackend=bolt", Verdict.INVALID),
        Arguments.of("[Bitcoin]\nBackend=bolt", Verdict.INVALID),
        // refused as owned: each spelling moves the database
        Arguments.of("db.backend=bolt", Verdict.OWNED),
        Arguments.of("  db.backend  =  bolt", Verdict.OWNED),
        Arguments.of("Backend=bolt", Verdict.OWNED),
        Arguments.of("[db]\nBackend=bolt", Verdict.OWNED),
        Arguments.of("[db]\n=bolt", Verdict.OWNED),
        Arguments.of("\u00a0db.backend=bolt", Verdict.OWNED));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("snippets")
  void noAcceptedConfigMovesTheDatabaseAndEveryRefusedOneWould(String snippet, Verdict verdict)
      throws Exception {
    List<OwnedLndOptions.Finding> findings = OwnedLndOptions.inConfig(snippet);
    Verdict seen =
        findings.isEmpty()
            ? Verdict.ACCEPTED
            : findings.stream().anyMatch(f -> f.reason().equals(OwnedLndOptions.OVERRIDDEN))
                ? Verdict.OWNED
                : Verdict.INVALID;
    assertThat(seen).as("the operator's verdict: %s", findings).isEqualTo(verdict);
    // go-flags applies lnd.conf's sections in Go's random map order, so an option repeated in
    // another section wins on some starts only: every start counts.
    int bbolt = 0;
    int remote = 0;
    int starts = 0;
    // A refused snippet is started until it opens bbolt: with the user's line in another section
    // than the operator's [db], only some orders of lnd.conf's sections let it win.
    int limit = verdict == Verdict.OWNED ? OWNED_STARTS : STARTS;
    while (starts < limit && !(verdict == Verdict.OWNED && bbolt > 0)) {
      String out = runLnd(snippet);
      starts++;
      bbolt += out.contains(BBOLT) ? 1 : 0;
      remote += out.contains(REMOTE) ? 1 : 0;
    }
    switch (verdict) {
      case OWNED ->
          assertThat(bbolt)
              .as("starts of %d in which lnd, with the refused config, opened bbolt", starts)
              .isPositive();
      case ACCEPTED ->
          assertThat(remote)
              .as("starts of %d in which lnd, with an accepted config, used etcd", STARTS)
              .isEqualTo(STARTS);
      case INVALID ->
          assertThat(bbolt + remote)
              .as("starts of %d in which lnd opened a database with a config it refuses", STARTS)
              .isZero();
    }
  }

  /** Starts of an accepted or invalid snippet, each of which must keep the state in etcd. */
  private static final int STARTS = 10;

  /**
   * Most starts of a refused snippet until it opens bbolt. go-flags walks lnd.conf's sections in
   * Go's map order, which put the user's [Application Options] after the operator's [db] on 10 of
   * 40 starts measured here: 60 starts all miss with a chance of about 3 in 100 million.
   */
  private static final int OWNED_STARTS = 60;

  /** Starts lnd with the snippet rendered into lnd.conf; returns its output once it chose. */
  private static String runLnd(String snippet) throws Exception {
    String name = "owned" + CLUSTERS.incrementAndGet();
    LightningCluster lc = Clusters.onEtcd("real", name, etcd.endpoint(), null);
    lc.getSpec().lnd = new LndSpec();
    lc.getSpec().lnd.config = snippet;
    Path home = Files.createTempDirectory("owned-options-" + name);
    Files.createDirectories(home.resolve("wallet"));
    Files.writeString(home.resolve("wallet/password"), "owned-options-password");
    String conf =
        LndConfig.render(EffectiveSpec.of(lc), LndConfig.Credentials.NONE)
            .replace(MemberPaths.LND_TLS_DIR, tls.toString())
            .replace(MemberPaths.WALLET_DIR, home.resolve("wallet").toString())
            .replace(MemberPaths.LND_DIR, home.toString());
    Path file = home.resolve("lnd.conf");
    Files.writeString(file, conf);
    try (LndProcess lnd =
        LndProcess.start(home, file, "127.1.210.1", List.of("--cluster.id=" + name + "-0"))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .alias("lnd opened a database or refused its config")
          .until(
              () -> {
                String out = lnd.output();
                return out.contains(REMOTE) || out.contains(BBOLT) || !lnd.alive();
              });
      return lnd.output();
    }
  }
}
