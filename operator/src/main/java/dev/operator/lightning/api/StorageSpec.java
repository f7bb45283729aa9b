package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** A PersistentVolumeClaim template for each etcd member. */
public class StorageSpec {
  public static final String DEFAULT_SIZE = "10Gi";

  /** With Postgres for the data, etcd holds only the election. */
  public static final String ELECTION_ONLY_SIZE = "2Gi";

  @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$")
  @JsonPropertyDescription(
      "Volume size, a Kubernetes quantity such as 10Gi. Default 10Gi, or 2Gi when"
          + " database.backend is postgres.")
  public String size;

  @JsonPropertyDescription("StorageClass of the volume; empty uses the cluster's default class.")
  public String storageClassName;
}
