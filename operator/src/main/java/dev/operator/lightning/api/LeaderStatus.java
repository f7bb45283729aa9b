package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The member holding the lowest-revision election key. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LeaderStatus {
  @JsonPropertyDescription("Pod of the leader.")
  public String pod;

  @JsonPropertyDescription("cluster.id the leader campaigned with.")
  public String clusterId;

  @JsonPropertyDescription("When this member became leader (RFC 3339).")
  public String since;

  public LeaderStatus() {}

  public LeaderStatus(String pod, String clusterId, String since) {
    this.pod = pod;
    this.clusterId = clusterId;
    this.since = since;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LeaderStatus l
        && Objects.equals(pod, l.pod)
        && Objects.equals(clusterId, l.clusterId)
        && Objects.equals(since, l.since);
  }

  @Override
  public int hashCode() {
    return Objects.hash(pod, clusterId, since);
  }
}
