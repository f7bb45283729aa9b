package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** An etcd StatefulSet owned by the cluster, with TLS between every party. */
public class ManagedEtcdSpec {
  public static final String DEFAULT_IMAGE = "quay.io/coreos/etcd:v3.6.16";

  @Default("3")
  @ValidationRule(
      value = "self == 1 || self == 3 || self == 5",
      message = "etcd.managed.replicas must be 1, 3 or 5: an odd member count keeps a quorum")
  @ValidationRule(
      value = "self == oldSelf",
      message =
          "etcd.managed.replicas is immutable: the operator does not change etcd membership yet,"
              + " and new members would not join the running etcd (see docs/operations.md)")
  @JsonPropertyDescription(
      "Number of etcd members: 1, 3 or 5. Default 3. Fixed once the cluster exists: etcd"
          + " membership changes are not automated.")
  public Integer replicas = 3;

  @Size(min = 1)
  @Default(DEFAULT_IMAGE)
  @JsonPropertyDescription("etcd container image (etcd 3.6 or later).")
  public String image = DEFAULT_IMAGE;

  @JsonPropertyDescription("Persistent storage of each etcd member.")
  public StorageSpec storage;

  public static final int DEFAULT_QUOTA_GIB = 4;

  /** Leases and a few election keys take kilobytes; the smallest quota is ample. */
  public static final int ELECTION_ONLY_QUOTA_GIB = 1;

  @Min(1)
  @Max(8)
  @JsonPropertyDescription(
      "etcd backend quota in GiB (--quota-backend-bytes). At the quota etcd turns read-only"
          + " (NOSPACE). 1 to 8; default 4, or 1 when database.backend is postgres (etcd then"
          + " holds only the election). Keep it below the volume size.")
  public Integer backendQuotaGiB;

  @SchemaFrom(type = ComputeResourcesSchema.class)
  @JsonPropertyDescription("Compute resources of each etcd member.")
  public ResourceRequirements resources;
}
