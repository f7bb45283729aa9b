package dev.operator.lightning.lnd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.harness.HostsFile;
import dev.operator.lightning.pki.CertificateAuthority;
import dev.operator.lightning.pki.FakeLndRest;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /v1/state over real TLS with a certificate from the cluster CA, as LND would serve it. */
class LndRestClientTest {
  private final CertificateAuthority ca = CertificateAuthority.generate("test");
  private FakeLndRest server;

  @BeforeEach
  void start() throws Exception {
    HostsFile.put("c-0.c-members.ns.svc", "127.0.0.1");
    HostsFile.put("c-0.other.ns.svc", "127.0.0.1");
    server =
        new FakeLndRest(ca, "127.0.0.1", 0, List.of("*.c-members.ns.svc"), List.of("127.0.0.1"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void readsTheLowerCaseStateField() {
    server.answer("{\"state\":\"WAITING_TO_START\"}");
    assertThat(new LndRestClient(ca.certificate()).state("c-0.c-members.ns.svc", port()))
        .contains("WAITING_TO_START");
  }

  @Test
  void aBodyWithOnlyTheSeedsUpperCaseFieldIsNotAState() {
    server.answer("{\"State\":\"SERVER_ACTIVE\"}");
    assertThat(new LndRestClient(ca.certificate()).state("c-0.c-members.ns.svc", port())).isEmpty();
  }

  @Test
  void aCertificateForAnotherNameIsRefused() {
    server.answer("{\"state\":\"SERVER_ACTIVE\"}");
    assertThat(new LndRestClient(ca.certificate()).state("c-0.other.ns.svc", port())).isEmpty();
  }

  @Test
  void aServerFromAnotherCaIsRefused() {
    server.answer("{\"state\":\"SERVER_ACTIVE\"}");
    CertificateAuthority other = CertificateAuthority.generate("other");
    assertThat(new LndRestClient(other.certificate()).state("c-0.c-members.ns.svc", port()))
        .isEmpty();
  }

  @Test
  void nothingListeningIsEmptyNotAnError() {
    assertThat(new LndRestClient(ca.certificate()).state("c-0.c-members.ns.svc", 1)).isEmpty();
  }

  /**
   * The export runs inside a pass, and the pass that routes a new leader waits behind it: a leader
   * that stops answering in the middle of one (its node lost) holds it no longer than the export's
   * own timeout (it was the wallet's 60 s, and a lost node held back a failover for a minute).
   */
  @Test
  void aChannelBackupExportThatGetsNoAnswerEndsWithinItsTimeout() {
    long start = System.nanoTime();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new LndRestClient(ca.certificate())
                    .exportChannelBackups("c-0.c-members.ns.svc", port(), new byte[] {1}))
        .isInstanceOf(java.io.IOException.class);
    java.time.Duration took = java.time.Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThan(LndRestClient.EXPORT_TIMEOUT.plusSeconds(2));
  }

  private int port() {
    return server.port();
  }
}
