package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.operator.lightning.api.ElectionSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.it.Clusters;
import org.junit.jupiter.api.Test;

/** The leader health check is tied to the session TTL for every TTL the schema accepts. */
class LeaderHealthCheckTest {
  @Test
  void aCutOffLeaderStopsBeforeItsSessionCanExpireAtEveryAcceptedTtl() {
    for (int ttl = LeaderHealthCheck.MIN_TTL_SECONDS; ttl <= 600; ttl++) {
      LeaderHealthCheck c = LeaderHealthCheck.forTtl(ttl);
      assertThat(c.worstCaseStopSeconds())
          .as("worst-case stop at TTL %d", ttl)
          .isLessThanOrEqualTo(LeaderHealthCheck.earliestExpirySeconds(ttl))
          .isLessThan(ttl);
      assertThat(c.intervalSeconds()).isBetween(1, LeaderHealthCheck.MAX_INTERVAL_SECONDS);
      assertThat(c.attempts()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void theCrdsMinimumIsTheShortestTtlTheCheckCanServe() {
    assertThat(ElectionSpec.MIN_LEADER_SESSION_TTL_SECONDS)
        .as("the literal in the CEL rule")
        .isEqualTo(LeaderHealthCheck.MIN_TTL_SECONDS);
    assertThatThrownBy(() -> LeaderHealthCheck.forTtl(LeaderHealthCheck.MIN_TTL_SECONDS - 1))
        .hasMessageContaining("minimum is " + LeaderHealthCheck.MIN_TTL_SECONDS);
  }

  @Test
  void lndsOwnDefaultsWouldLetACutOffLeaderOutliveItsSession() {
    // lnd: every 60 s, 5 s timeout, 1 attempt; the operator's former default TTL was 30 s.
    int lndWorstCase = 60 + 5 + LeaderHealthCheck.SHUTDOWN_MARGIN_SECONDS;
    assertThat(lndWorstCase).isGreaterThan(LeaderHealthCheck.earliestExpirySeconds(30));
  }

  @Test
  void theCheckIsRenderedIntoLndConf() {
    LightningCluster lc = Clusters.managed("ns", "c");
    LeaderHealthCheck c = LeaderHealthCheck.forTtl(30);
    String conf = LndConfig.render(EffectiveSpec.of(lc), LndConfig.Credentials.NONE);
    assertThat(conf)
        .contains(
            "[healthcheck]\n",
            "healthcheck.leader.interval=" + c.intervalSeconds() + "s\n",
            "healthcheck.leader.timeout=" + c.timeoutSeconds() + "s\n",
            "healthcheck.leader.attempts=" + c.attempts() + "\n",
            "healthcheck.leader.backoff=" + c.backoffSeconds() + "s\n");
    assertThat(c.intervalSeconds()).as("interval at the default TTL of 30 s").isEqualTo(5);
  }
}
