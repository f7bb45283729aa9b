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

  @JsonPropertyDescription(
      "etcd lease of the leader's election session, in hex as in its election key.")
  public String leaseId;

  @JsonPropertyDescription(
      "UID of the pod that campaigned for this lease. The operator revokes a lease only for a"
          + " pod of this cluster it can name here and that Kubernetes confirms dead; it remembers"
          + " the pair here so that it still knows it after a restart.")
  public String podUid;

  public LeaderStatus() {}

  public LeaderStatus(String pod, String clusterId, String since) {
    this(pod, clusterId, since, null, null);
  }

  public LeaderStatus(String pod, String clusterId, String since, String leaseId, String podUid) {
    this.pod = pod;
    this.clusterId = clusterId;
    this.since = since;
    this.leaseId = leaseId;
    this.podUid = podUid;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LeaderStatus l
        && Objects.equals(pod, l.pod)
        && Objects.equals(clusterId, l.clusterId)
        && Objects.equals(since, l.since)
        && Objects.equals(leaseId, l.leaseId)
        && Objects.equals(podUid, l.podUid);
  }

  @Override
  public int hashCode() {
    return Objects.hash(pod, clusterId, since, leaseId, podUid);
  }
}
