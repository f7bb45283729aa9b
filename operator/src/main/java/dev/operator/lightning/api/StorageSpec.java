package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** A PersistentVolumeClaim template for each etcd member. */
public class StorageSpec {
  @Default("10Gi")
  @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|K|M|G|T|P)?$")
  @JsonPropertyDescription("Volume size, a Kubernetes quantity such as 10Gi. Default 10Gi.")
  public String size = "10Gi";

  @JsonPropertyDescription("StorageClass of the volume; empty uses the cluster's default class.")
  public String storageClassName;
}
