package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.LndStandIn;
import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.pki.CertificateAuthority;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The leader's state stream against a member that serves LND's REST stream (a stand-in on a real
 * etcd): it reports the current state and each change, wakes the cluster's pass on each, and ends
 * when the member dies.
 */
class ActivationStreamsIT {
  static final String PASSWORD = "correct horse battery";

  @Test
  void aStateStreamReportsActivationAndEndsWithTheMember() throws Exception {
    CertificateAuthority ca = CertificateAuthority.generate("activation-test");
    CertificateAuthority.Issued tls =
        ca.issue(
            new CertificateRequest(
                "unused", "member", List.of("localhost"), List.of("127.0.0.1"), true, false));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (EtcdServer etcd = EtcdServer.start();
        LndStandIn member =
            LndStandIn.start(
                new LndStandIn.Config(
                    "act-0",
                    etcd.endpoint(),
                    "",
                    "/act",
                    10,
                    "127.0.0.1",
                    port,
                    tls.certificatePem(),
                    tls.keyPem(),
                    PASSWORD))) {
      LndRestClient lnd = new LndRestClient(ca.certificate());
      // Elected, no wallet yet: it waits for initwallet, as LND does with wallet creation allowed.
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(lnd.state("localhost", port))
                      .as("the leader without a wallet")
                      .contains("NON_EXISTING"));

      List<String> states = new CopyOnWriteArrayList<>();
      AtomicInteger ended = new AtomicInteger();
      Runnable cancel =
          lnd.subscribeState(
              "localhost", port, Duration.ofSeconds(60), states::add, ended::incrementAndGet);
      List<String> wakes = Collections.synchronizedList(new java.util.ArrayList<>());
      ActivationStreams streams = new ActivationStreams(wakes::add, java.time.Clock.systemUTC());
      streams.follow("ns/act", "uid-0", "containerd://c0#0", lnd, "localhost", port);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(states).as("states streamed so far").containsExactly("NON_EXISTING");
                assertThat(wakes).as("passes woken").containsExactly("ns/act");
              });
      assertThat(streams.follows("ns/act", "uid-0")).isTrue();
      assertThat(streams.follows("ns/act", "uid-other")).as("another pod of that name").isFalse();
      List<io.fabric8.kubernetes.api.model.Pod> same = List.of(pod("uid-0", "containerd://c0", 0));
      assertThat(streams.reportedActive("ns/act", same, Duration.ofSeconds(5)))
          .as("reported active while it has no wallet")
          .isEmpty();

      lnd.initWallet("localhost", port, PASSWORD, lnd.genSeed("localhost", port), 0, null, null);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(states)
                    .as("states streamed after initwallet")
                    .endsWith("SERVER_ACTIVE")
                    .doesNotHaveDuplicates();
                assertThat(wakes.size()).as("passes woken").isGreaterThan(1);
              });
      assertThat(ended).as("the stream still open").hasValue(0);
      assertThat(streams.reportedActive("ns/act", same, Duration.ofSeconds(5)))
          .as("the pod the stream reported active")
          .contains("act-0");
      assertThat(
              streams.reportedActive(
                  "ns/act", List.of(pod("uid-0", "containerd://c0", 1)), Duration.ofSeconds(5)))
          .as("its container restarted since: another process")
          .isEmpty();
      assertThat(
              streams.reportedActive(
                  "ns/act", List.of(pod("uid-1", "containerd://c0", 0)), Duration.ofSeconds(5)))
          .as("a new pod of that name")
          .isEmpty();
      assertThat(streams.reportedActive("ns/act", same, Duration.ZERO.minusMillis(1)))
          .as("a report older than the limit")
          .isEmpty();

      member.crash();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(ended).as("ends of the test's stream").hasValue(1);
                assertThat(streams.follows("ns/act", "uid-0"))
                    .as("the operator's stream after the member died")
                    .isFalse();
                assertThat(streams.reportedActive("ns/act", same, Duration.ofSeconds(5)))
                    .as("reported active after its stream ended")
                    .isEmpty();
              });
      // One attempt per pod: a member that ended its stream is polled, not re-subscribed.
      streams.follow("ns/act", "uid-0", "containerd://c0#0", lnd, "localhost", port);
      assertThat(streams.follows("ns/act", "uid-0")).as("a second follow of that pod").isFalse();
      cancel.run();
      streams.retainOnly(java.util.Set.of());
    }
  }

  /** The member's pod as the API server would have it, with its lnd container running. */
  private static io.fabric8.kubernetes.api.model.Pod pod(
      String uid, String containerId, int restarts) {
    return new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata()
        .withName("act-0")
        .withUid(uid)
        .endMetadata()
        .withNewStatus()
        .addNewContainerStatus()
        .withName("lnd")
        .withContainerID(containerId)
        .withRestartCount(restarts)
        .withNewState()
        .withNewRunning()
        .endRunning()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void onlyAStateLineOfTheStreamCountsAsAState() {
    assertThat(LndRestClient.stateOfLine("{\"result\":{\"state\":\"RPC_ACTIVE\"}}"))
        .contains("RPC_ACTIVE");
    assertThat(LndRestClient.stateOfLine("{\"error\":{\"message\":\"boom\"}}")).isEmpty();
    assertThat(LndRestClient.stateOfLine("not json")).isEmpty();
    assertThat(LndRestClient.stateOfLine("")).isEmpty();
  }
}
