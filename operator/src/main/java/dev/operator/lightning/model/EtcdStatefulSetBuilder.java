package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The managed etcd: TLS for clients and peers, quota, auto-compaction, health probes. */
public final class EtcdStatefulSetBuilder {
  public static final String CONTAINER = "etcd";

  private EtcdStatefulSetBuilder() {}

  public static StatefulSet build(LightningCluster cluster, EffectiveSpec spec) {
    Names n = spec.names();
    EffectiveSpec.ManagedEtcd etcd = spec.managedEtcd();
    Map<String, String> labels = Labels.component(n.cluster(), Labels.COMPONENT_ETCD);
    String peerDomain = n.serviceHost(n.etcdPeerService());
    String initialCluster =
        IntStream.range(0, etcd.replicas())
            .mapToObj(
                i ->
                    n.etcdPod(i)
                        + "=https://"
                        + n.etcdPod(i)
                        + "."
                        + peerDomain
                        + ":"
                        + EtcdPaths.PEER_PORT)
            .collect(Collectors.joining(","));
    long quotaBytes = etcd.backendQuotaGiB() * 1024L * 1024L * 1024L;
    List<String> args = new ArrayList<>();
    args.add("--name=$(POD_NAME)");
    args.add("--data-dir=" + EtcdPaths.DATA_DIR + "/data");
    args.add("--listen-client-urls=https://0.0.0.0:" + EtcdPaths.CLIENT_PORT);
    args.add(
        "--advertise-client-urls=https://$(POD_NAME)." + peerDomain + ":" + EtcdPaths.CLIENT_PORT);
    args.add("--listen-peer-urls=https://0.0.0.0:" + EtcdPaths.PEER_PORT);
    args.add(
        "--initial-advertise-peer-urls=https://$(POD_NAME)."
            + peerDomain
            + ":"
            + EtcdPaths.PEER_PORT);
    args.add("--listen-metrics-urls=http://0.0.0.0:" + EtcdPaths.METRICS_PORT);
    args.add("--initial-cluster=" + initialCluster);
    args.add("--initial-cluster-state=new");
    args.add("--initial-cluster-token=" + n.namespace() + "-" + n.etcd());
    args.add("--client-cert-auth=true");
    args.add("--trusted-ca-file=" + EtcdPaths.SERVER_TLS_DIR + "/ca.crt");
    args.add("--cert-file=" + EtcdPaths.SERVER_TLS_DIR + "/tls.crt");
    args.add("--key-file=" + EtcdPaths.SERVER_TLS_DIR + "/tls.key");
    args.add("--peer-client-cert-auth=true");
    args.add("--peer-trusted-ca-file=" + EtcdPaths.PEER_TLS_DIR + "/ca.crt");
    args.add("--peer-cert-file=" + EtcdPaths.PEER_TLS_DIR + "/tls.crt");
    args.add("--peer-key-file=" + EtcdPaths.PEER_TLS_DIR + "/tls.key");
    args.add("--max-txn-ops=" + EtcdPaths.MAX_TXN_OPS);
    args.add("--max-request-bytes=" + EtcdPaths.MAX_REQUEST_BYTES);
    args.add("--quota-backend-bytes=" + quotaBytes);
    args.add("--auto-compaction-mode=" + EtcdPaths.AUTO_COMPACTION_MODE);
    args.add("--auto-compaction-retention=" + EtcdPaths.AUTO_COMPACTION_RETENTION);

    PersistentVolumeClaimBuilder pvc =
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName("data")
            .withLabels(Labels.selector(n.cluster(), Labels.COMPONENT_ETCD))
            .endMetadata()
            .withNewSpec()
            .withAccessModes("ReadWriteOnce")
            .withStorageClassName(etcd.storageClassName())
            .withNewResources()
            .withRequests(Map.of("storage", new Quantity(etcd.storageSize())))
            .endResources()
            .endSpec();

    return DesiredHash.stamp(
        new StatefulSetBuilder()
            .withMetadata(Owned.meta(cluster, n.etcd(), labels))
            .withNewSpec()
            .withReplicas(etcd.replicas())
            .withServiceName(n.etcdPeerService())
            // Members must all start to form a quorum; ordered start would wait forever on the
            // first member's readiness.
            .withPodManagementPolicy("Parallel")
            .withNewSelector()
            .withMatchLabels(Labels.selector(n.cluster(), Labels.COMPONENT_ETCD))
            .endSelector()
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withEnableServiceLinks(false)
            .withSecurityContext(PodSecurity.pod())
            .withTopologySpreadConstraints(Spread.etcd(n))
            // The cluster's placement holds for its etcd too: a pool of nodes set apart for
            // Lightning keeps the store its channel state lives in.
            .withNodeSelector(spec.nodeSelector())
            .withTolerations(spec.tolerations())
            .addNewContainer()
            .withName(CONTAINER)
            .withImage(etcd.image())
            .withCommand("etcd")
            .withArgs(args)
            .withEnv(
                new EnvVarBuilder()
                    .withName("POD_NAME")
                    .withNewValueFrom()
                    .withNewFieldRef()
                    .withFieldPath("metadata.name")
                    .endFieldRef()
                    .endValueFrom()
                    .build())
            .addNewPort()
            .withName("client")
            .withContainerPort(EtcdPaths.CLIENT_PORT)
            .endPort()
            .addNewPort()
            .withName("peer")
            .withContainerPort(EtcdPaths.PEER_PORT)
            .endPort()
            .addNewPort()
            .withName("metrics")
            .withContainerPort(EtcdPaths.METRICS_PORT)
            .endPort()
            .withNewReadinessProbe()
            .withNewHttpGet()
            .withPath("/readyz")
            .withNewPort(EtcdPaths.METRICS_PORT)
            .endHttpGet()
            .withPeriodSeconds(5)
            .withFailureThreshold(3)
            .endReadinessProbe()
            .withNewLivenessProbe()
            .withNewHttpGet()
            .withPath("/livez")
            .withNewPort(EtcdPaths.METRICS_PORT)
            .endHttpGet()
            .withInitialDelaySeconds(15)
            .withPeriodSeconds(10)
            .withFailureThreshold(6)
            .endLivenessProbe()
            .withResources(etcd.resources())
            .addNewVolumeMount()
            .withName("data")
            .withMountPath(EtcdPaths.DATA_DIR)
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("server-tls")
            .withMountPath(EtcdPaths.SERVER_TLS_DIR)
            .withReadOnly(true)
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("peer-tls")
            .withMountPath(EtcdPaths.PEER_TLS_DIR)
            .withReadOnly(true)
            .endVolumeMount()
            .withSecurityContext(PodSecurity.container())
            .endContainer()
            .addNewVolume()
            .withName("server-tls")
            .withNewSecret()
            .withSecretName(n.etcdServerTlsSecret())
            .withDefaultMode(0440)
            .endSecret()
            .endVolume()
            .addNewVolume()
            .withName("peer-tls")
            .withNewSecret()
            .withSecretName(n.etcdPeerTlsSecret())
            .withDefaultMode(0440)
            .endSecret()
            .endVolume()
            .endSpec()
            .endTemplate()
            .withVolumeClaimTemplates(pvc.build())
            .endSpec()
            .build());
  }
}
