package dev.operator.lightning.harness;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;

/**
 * What every node of one local cluster shares: the API server, the namespace it runs, the pod
 * network with its DNS and NetworkPolicy enforcement, the image table, and the storage that backs
 * claims on any node.
 */
public record NodeServices(
    KubernetesClient client,
    String namespace,
    PodNetwork network,
    ClusterDns dns,
    NetworkPolicyEnforcer policies,
    ImageTable images,
    Path storage) {}
