package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator observed, written only when it changed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LightningClusterStatus {
  @JsonPropertyDescription("metadata.generation of the spec this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription(
      "Provisioning (objects created, members not ready yet), Running (every member ready),"
          + " Degraded (serving with fewer ready members than desired, or blocked by a problem"
          + " named in phaseReason), or Failed (nothing can serve until the reason is fixed).")
  public String phase;

  @JsonPropertyDescription("Human-readable reason for the phase.")
  public String phaseReason;

  @JsonPropertyDescription(
      "Ready, EtcdAvailable, MembersReady, LeaderElected, ChainSynced and Degraded, each with a"
          + " reason and message.")
  public List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The elected leader, once one is known.")
  public LeaderStatus leader;

  @JsonPropertyDescription("Leader changes: how many, and the most recent with their causes.")
  public FailoverStatus failover;

  @JsonPropertyDescription("One entry per LND member pod.")
  public List<MemberStatus> members = new ArrayList<>();

  @JsonPropertyDescription(
      "Number of healthy members: the active leader plus followers standing by.")
  public Integer readyMembers;

  @JsonPropertyDescription("Healthy members over desired members, e.g. 3/3.")
  public String ready;

  @JsonPropertyDescription("The etcd key prefix the members campaign under.")
  public String electionPrefix;

  @JsonPropertyDescription("The etcd client endpoint the members use.")
  public String etcdEndpoint;

  @JsonPropertyDescription("Where LND keeps its data: the backend and its endpoint.")
  public DatabaseStatus database;

  @JsonPropertyDescription(
      "The active leader's node: identity, sync state, block height, peers and channels.")
  public NodeStatus node;

  @JsonPropertyDescription("The latest channel backup kept outside the pods.")
  public ChannelBackupStatus channelBackup;

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LightningClusterStatus other)) {
      return false;
    }
    return Objects.equals(observedGeneration, other.observedGeneration)
        && Objects.equals(phase, other.phase)
        && Objects.equals(phaseReason, other.phaseReason)
        && Objects.equals(conditions, other.conditions)
        && Objects.equals(leader, other.leader)
        && Objects.equals(failover, other.failover)
        && Objects.equals(members, other.members)
        && Objects.equals(readyMembers, other.readyMembers)
        && Objects.equals(ready, other.ready)
        && Objects.equals(electionPrefix, other.electionPrefix)
        && Objects.equals(etcdEndpoint, other.etcdEndpoint)
        && Objects.equals(database, other.database)
        && Objects.equals(node, other.node)
        && Objects.equals(channelBackup, other.channelBackup);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, phase, readyMembers, ready);
  }
}
