package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** LND's etcd leader election. */
public class ElectionSpec {
  public static final int DEFAULT_LEADER_SESSION_TTL_SECONDS = 30;

  @Pattern("^/[A-Za-z0-9/_.\\-]*$")
  @JsonPropertyDescription(
      "Election key prefix (cluster.etcd-election-prefix). Default"
          + " /lightning-operator/<namespace>/<name>/leader, so clusters sharing one etcd never"
          + " collide. Immutable.")
  public String keyPrefix;

  @Min(5)
  @Max(600)
  @Default("30")
  @JsonPropertyDescription(
      "Leader session TTL in seconds (cluster.leader-session-ttl). A leader that vanishes"
          + " without resigning and that the operator cannot confirm dead blocks failover for"
          + " this long. 5 to 600, default 30 (LND's own default is 90).")
  public Integer leaderSessionTtlSeconds = DEFAULT_LEADER_SESSION_TTL_SECONDS;
}
