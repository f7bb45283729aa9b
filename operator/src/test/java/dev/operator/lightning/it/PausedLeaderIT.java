package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.ProcessPause;
import dev.operator.lightning.model.LeaderHealthCheck;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * An unclean fault with the real lnd on the local cluster: the leader's process is frozen (SIGSTOP)
 * for longer than its session TTL, as a stalled node or a paused VM would freeze it. It keeps
 * believing it leads and sends no keep-alive, so its session runs out and a successor is elected
 * and routed while it sleeps. The operator fences it as soon as the election moves on while its
 * process still runs: its pod is deleted, and the SIGKILL that follows the grace period ends the
 * frozen process, so it never wakes up believing it leads. It is never routed, and comes back as a
 * follower. Member states are read every 100 ms by the test, independently of the operator.
 */
class PausedLeaderIT {
  private static final String NS = "paused";

  @Test
  void aLeaderPausedPastItsSessionIsDeposedWhileAsleepAndStopsWhenItWakes() throws Exception {
    try (DemoCluster demo = DemoCluster.start(NS)) {
      KubernetesClient client = demo.client();
      demo.apply();
      String leader = demo.awaitLeader(null, Duration.ofSeconds(90));
      int ttl = demo.leaderSessionTtlSeconds();
      LeaderHealthCheck check = LeaderHealthCheck.forTtl(ttl);
      try (MemberStates states = demo.memberStates()) {
        await().atMost(Duration.ofSeconds(10)).until(() -> states.lastActive(leader).isPresent());
        long process = demo.cluster.nodes().pid(leader).orElseThrow();
        List<String> routedAfterSuccessor = new CopyOnWriteArrayList<>();

        Instant paused;
        String[] successor = new String[1];
        Instant[] routed = new Instant[1];
        try (ProcessPause pause = ProcessPause.of(process)) {
          paused = Instant.now();
          await()
              .atMost(Duration.ofSeconds(ttl * 3L))
              .pollInterval(Duration.ofMillis(50))
              .alias("a member other than the paused " + leader + " active and routed")
              .until(
                  () -> {
                    List<String> others = states.activeSince(paused, leader);
                    if (others.isEmpty()) {
                      return false;
                    }
                    successor[0] = others.get(0);
                    if (successor[0].equals(demo.routedMember())) {
                      routed[0] = Instant.now();
                    }
                    return routed[0] != null;
                  });
          // Still asleep a while after the successor took over: it learns nothing meanwhile.
          Instant asleepUntil = Instant.now().plusSeconds(3);
          await()
              .atMost(Duration.ofSeconds(10))
              .pollInterval(Duration.ofMillis(50))
              .until(
                  () -> {
                    routedAfterSuccessor.add(String.valueOf(demo.routedMember()));
                    return Instant.now().isAfter(asleepUntil);
                  });
        }
        Instant woke = Instant.now();
        Instant successorActive = states.firstActive(successor[0], paused).orElseThrow();
        Instant[] gone = new Instant[1];
        await()
            .atMost(Duration.ofSeconds(check.worstCaseStopSeconds() + 30L))
            .pollInterval(Duration.ofMillis(50))
            .alias("the woken " + leader + "'s process ended")
            .until(
                () -> {
                  routedAfterSuccessor.add(String.valueOf(demo.routedMember()));
                  if (ProcessHandle.of(process).map(ph -> !ph.isAlive()).orElse(true)) {
                    gone[0] = Instant.now();
                  }
                  return gone[0] != null;
                });
        Instant lastActive = states.lastActive(leader).orElseThrow();
        long bothActiveMs =
            lastActive.isAfter(woke) ? Duration.between(woke, lastActive).toMillis() : 0;
        List<String> fenced =
            client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "Fenced".equals(e.getReason()))
                .map(e -> e.getMessage())
                .toList();
        System.out.printf(
            "paused leader (TTL %d s, health check every %d s): paused %s; %s active %d ms and"
                + " routed %d ms after the pause; woken after %d ms; after waking, %s last reported"
                + " active %d ms later (both active %d ms), its process gone %d ms later (%s)%n",
            ttl,
            check.intervalSeconds(),
            leader,
            successor[0],
            Duration.between(paused, successorActive).toMillis(),
            Duration.between(paused, routed[0]).toMillis(),
            Duration.between(paused, woke).toMillis(),
            leader,
            Math.max(0, Duration.between(woke, lastActive).toMillis()),
            bothActiveMs,
            Duration.between(woke, gone[0]).toMillis(),
            fenced.isEmpty() ? "stopped by itself" : "fenced: " + fenced);

        assertThat(successorActive)
            .as("%s active only after %s's session could have run out", successor[0], leader)
            .isAfter(paused.plusSeconds(LeaderHealthCheck.earliestExpirySeconds(ttl) - 1L));
        assertThat(routedAfterSuccessor)
            .as(
                "members routed once %s was routed, while %s slept and after it woke",
                successor[0], leader)
            .doesNotContain(leader);
        assertThat(demo.status().leader.pod).as("leader in status").isEqualTo(successor[0]);
        // Deposed while asleep, its pod was deleted then: SIGKILL ends a frozen process, so it
        // never woke up believing it leads.
        assertThat(lastActive)
            .as("%s's last active reading: before it was deposed, never after waking", leader)
            .isBefore(successorActive);
        assertThat(fenced)
            .as("Fenced events")
            .anySatisfy(m -> assertThat(m).startsWith(leader + " lost the election while"));
        // Back as a follower: a new pod if it was fenced, a restarted container if it exited.
        await()
            .atMost(Duration.ofSeconds(90))
            .untilAsserted(
                () ->
                    assertThat(states.last(leader).map(MemberStates.Reading::state))
                        .as("%s after it stopped", leader)
                        .contains("WAITING_TO_START"));
        assertThat(demo.routedMember()).as("routed at the end").isEqualTo(successor[0]);
      }
      assertThat(demo.failedReconciliations()).as("reconciliations that threw").isZero();
    }
  }
}
