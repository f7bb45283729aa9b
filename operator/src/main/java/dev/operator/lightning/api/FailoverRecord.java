package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One change of leader. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FailoverRecord {
  public static final String RESIGNED = "Resigned";
  public static final String LEASE_EXPIRED = "LeaseExpired";
  public static final String LEASE_REVOKED = "LeaseRevokedByOperator";

  @JsonPropertyDescription("When the operator saw the new leader (RFC 3339).")
  public String time;

  @JsonPropertyDescription("The previous leader's pod.")
  public String from;

  @JsonPropertyDescription("The new leader's pod.")
  public String to;

  @JsonPropertyDescription(
      "Why the previous leader's key went away: Resigned (it stepped down or was stopped"
          + " gracefully), LeaseExpired (its session TTL ran out), or LeaseRevokedByOperator"
          + " (Kubernetes confirmed its container dead and the operator revoked its lease).")
  public String cause;

  public FailoverRecord() {}

  public FailoverRecord(String time, String from, String to, String cause) {
    this.time = time;
    this.from = from;
    this.to = to;
    this.cause = cause;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FailoverRecord r
        && Objects.equals(time, r.time)
        && Objects.equals(from, r.from)
        && Objects.equals(to, r.to)
        && Objects.equals(cause, r.cause);
  }

  @Override
  public int hashCode() {
    return Objects.hash(time, from, to, cause);
  }
}
