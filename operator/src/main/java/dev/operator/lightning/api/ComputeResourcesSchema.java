package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.Map;

/**
 * The CRD schema of a container's compute resources: Kubernetes' ResourceRequirements (limits and
 * requests) with every value checked to be a quantity at apply time, instead of when a pod is
 * created. The maps are bounded so that the check stays within the API server's CEL cost budget.
 * The Java type of the fields stays {@code ResourceRequirements}.
 */
public class ComputeResourcesSchema {
  static final String QUANTITIES = "self.all(k, isQuantity(string(self[k])))";
  static final String MESSAGE = " must be Kubernetes quantities, such as 500m, 1, 512Mi or 2Gi";

  @Size(max = 8)
  @ValidationRule(value = QUANTITIES, message = "resources.limits" + MESSAGE)
  @JsonPropertyDescription(
      "Most the container may use, by resource name (cpu, memory, ephemeral-storage, ...): a"
          + " Kubernetes quantity each, at most 8 resources.")
  public Map<String, IntOrString> limits;

  @Size(max = 8)
  @ValidationRule(value = QUANTITIES, message = "resources.requests" + MESSAGE)
  @JsonPropertyDescription(
      "What the container is scheduled with, by resource name: a Kubernetes quantity each, at"
          + " most 8 resources.")
  public Map<String, IntOrString> requests;
}
