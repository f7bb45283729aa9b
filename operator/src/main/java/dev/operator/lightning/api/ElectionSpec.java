package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** LND's etcd leader election. */
public class ElectionSpec {
  public static final int DEFAULT_LEADER_SESSION_TTL_SECONDS = 30;

  /**
   * The shortest TTL the leader health check can be tied to; equal to
   * LeaderHealthCheck.MIN_TTL_SECONDS (a test keeps them equal: a CEL rule needs a literal).
   */
  public static final int MIN_LEADER_SESSION_TTL_SECONDS = 24;

  @Pattern("^/[A-Za-z0-9/_.\\-]*$")
  @JsonPropertyDescription(
      "Election key prefix (cluster.etcd-election-prefix). Default"
          + " /lightning-operator/<namespace>/<name>/leader, so clusters sharing one etcd never"
          + " collide. Immutable.")
  public String keyPrefix;

  @Max(600)
  @Default("30")
  @ValidationRule(
      value = "self >= " + MIN_LEADER_SESSION_TTL_SECONDS,
      message =
          "election.leaderSessionTtlSeconds must be at least "
              + MIN_LEADER_SESSION_TTL_SECONDS
              + ": a leader cut off from etcd must stop through its health check (2 checks of up to"
              + " 2 s, 1 s apart, plus 10 s to shut down, after an interval of at least 1 s) before"
              + " its session can expire, which can be 2/3 of the TTL after the cut")
  @JsonPropertyDescription(
      "Leader session TTL in seconds (cluster.leader-session-ttl). A leader that vanishes"
          + " without resigning and that the operator cannot confirm dead blocks failover for"
          + " this long. The operator derives LND's leader health check from it"
          + " (healthcheck.leader.*), so that a leader cut off from etcd stops serving before its"
          + " session can expire: see docs/failover.md. 24 to 600, default 30 (LND's own default"
          + " is 90).")
  public Integer leaderSessionTtlSeconds = DEFAULT_LEADER_SESSION_TTL_SECONDS;
}
