package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import java.util.Map;

/** The leader Service. */
public class ServiceSpec {
  @Default("ClusterIP")
  @JsonPropertyDescription("Service type: ClusterIP, NodePort or LoadBalancer. Default ClusterIP.")
  public ServiceType type = ServiceType.ClusterIP;

  @JsonPropertyDescription("Annotations put on the Service (for example for a load balancer).")
  public Map<String, String> annotations;
}
