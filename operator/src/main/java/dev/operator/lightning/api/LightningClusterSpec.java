package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** What the user asks for. Defaults here mirror the schema defaults in the CRD. */
@ValidationRule(
    value = "self.network == oldSelf.network",
    message = "network is immutable: a wallet belongs to one network; create a new cluster instead")
@ValidationRule(
    value = "has(self.etcd.managed) == has(oldSelf.etcd.managed)",
    message =
        "etcd mode is immutable: switching between managed and external etcd would lose the"
            + " wallet and channel state")
@ValidationRule(
    value =
        "(has(self.election) && has(self.election.keyPrefix) ? self.election.keyPrefix : '') =="
            + " (has(oldSelf.election) && has(oldSelf.election.keyPrefix) ?"
            + " oldSelf.election.keyPrefix : '')",
    message = "election.keyPrefix is immutable: running members campaign under the old prefix")
@ValidationRule(
    value =
        "(has(self.database) ? self.database.backend : 'etcd') == (has(oldSelf.database) ?"
            + " oldSelf.database.backend : 'etcd')",
    message =
        "database.backend is immutable: LND's wallet and channels stay in the database they were"
            + " created in; create a new cluster instead")
@ValidationRule(
    value = "self.chain.backend != 'nochainbackend' || self.network in ['regtest', 'simnet']",
    message = "chain.backend nochainbackend is for tests and only allowed on regtest or simnet")
public class LightningClusterSpec {
  public static final String DEFAULT_IMAGE = "lightninglabs/lnd:v0.21.3-beta";

  @Min(1)
  @Max(9)
  @Default("3")
  @JsonPropertyDescription(
      "Number of LND members. One is elected leader and serves; the others wait in"
          + " WAITING_TO_START and take over on failover. 1 to 9, default 3.")
  public Integer replicas = 3;

  @Size(min = 1)
  @Default(DEFAULT_IMAGE)
  @JsonPropertyDescription(
      "LND container image. It must be built with the kvdb_etcd tag, and kvdb_postgres for"
          + " database.backend postgres (the official lightninglabs/lnd release images carry"
          + " both), and contain sh, wget and jq for the readiness probe.")
  public String image = DEFAULT_IMAGE;

  @Required
  @JsonPropertyDescription(
      "Bitcoin network: mainnet, testnet, testnet4, signet, regtest or simnet. Immutable.")
  public Network network;

  @Required
  @JsonPropertyDescription("Chain backend LND reads blocks and transactions from.")
  public ChainSpec chain;

  @JsonPropertyDescription("Extra LND configuration: lnd.conf lines and command-line arguments.")
  public LndSpec lnd;

  @Required
  @JsonPropertyDescription(
      "The etcd cluster holding LND's leader election and, unless database.backend is"
          + " postgres, its state: exactly one of managed or external.")
  public EtcdSpec etcd;

  @JsonPropertyDescription(
      "Where LND keeps its data: etcd (default, with the election) or PostgreSQL (with etcd for"
          + " the election only). Immutable.")
  public DatabaseSpec database;

  @JsonPropertyDescription("Leader election settings.")
  public ElectionSpec election;

  @JsonPropertyDescription("Wallet unlock settings.")
  public WalletSpec wallet;

  @JsonPropertyDescription("The Service that routes clients to the elected leader.")
  public ServiceSpec service;

  @JsonPropertyDescription(
      "NetworkPolicies for the cluster's pods: who may reach etcd and LND's gRPC and REST ports.")
  public NetworkPolicySpec networkPolicy;

  @SchemaFrom(type = ComputeResourcesSchema.class)
  @JsonPropertyDescription("Compute resources of the LND container.")
  public ResourceRequirements resources;

  @JsonPropertyDescription(
      "Node labels the node of a member pod, and of a managed etcd member, must carry.")
  public Map<String, String> nodeSelector;

  @JsonPropertyDescription("Tolerations of the member pods and of the managed etcd's pods.")
  public List<Toleration> tolerations;

  @JsonPropertyDescription(
      "Affinity of the member pods. Default: prefer spreading members over distinct nodes"
          + " (kubernetes.io/hostname).")
  public Affinity affinity;
}
