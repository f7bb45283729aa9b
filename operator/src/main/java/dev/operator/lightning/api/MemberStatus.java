package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One LND member as the operator last saw it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MemberStatus {
  @JsonPropertyDescription("Pod name; also the member's cluster.id.")
  public String pod;

  @JsonPropertyDescription(
      "Whether the member is healthy: active as leader (its pod is Ready) or standing by as a"
          + " follower (its LND answers WAITING_TO_START).")
  public Boolean ready;

  @JsonPropertyDescription(
      "LND state from /v1/state (WAITING_TO_START, LOCKED, UNLOCKED, RPC_ACTIVE,"
          + " SERVER_ACTIVE, NON_EXISTING), absent when it could not be read.")
  public String lndState;

  @JsonPropertyDescription("leader or follower, once the election is observed.")
  public String role;

  public MemberStatus() {}

  public MemberStatus(String pod, Boolean ready, String lndState, String role) {
    this.pod = pod;
    this.ready = ready;
    this.lndState = lndState;
    this.role = role;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MemberStatus m
        && Objects.equals(pod, m.pod)
        && Objects.equals(ready, m.ready)
        && Objects.equals(lndState, m.lndState)
        && Objects.equals(role, m.role);
  }

  @Override
  public int hashCode() {
    return Objects.hash(pod, ready, lndState, role);
  }

  @Override
  public String toString() {
    return pod + "(ready=" + ready + ", state=" + lndState + ", role=" + role + ")";
  }
}
