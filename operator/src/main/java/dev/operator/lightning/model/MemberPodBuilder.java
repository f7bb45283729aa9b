package dev.operator.lightning.model;

import dev.operator.lightning.api.LightningCluster;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One LND member pod. Members are pods the operator manages directly (not a StatefulSet), so
 * restarts can later be ordered by role. Every secret reaches LND as a mounted file.
 */
public final class MemberPodBuilder {
  public static final String CONTAINER = "lnd";
  public static final long TERMINATION_GRACE_SECONDS = 60;

  private MemberPodBuilder() {}

  /**
   * @param configHash hash of the rendered lnd.conf, so a config change replaces the pods.
   * @param etcdClientCertificate whether LND presents a client certificate to etcd (always for
   *     managed etcd; for external etcd when its TLS Secret has tls.crt and tls.key).
   */
  public static Pod build(
      LightningCluster cluster,
      EffectiveSpec spec,
      int ordinal,
      String configHash,
      boolean etcdClientCertificate) {
    Names n = spec.names();
    String name = n.memberPod(ordinal);
    Map<String, String> labels = Labels.component(n.cluster(), Labels.COMPONENT_LND);
    labels.put(Labels.MEMBER_ORDINAL, Integer.toString(ordinal));

    List<String> args = new ArrayList<>();
    // No --lnddir: LND replaces tlscertpath, tlskeypath, datadir and logdir with defaults under
    // a non-default lnddir after reading lnd.conf (lnd config.go ValidateConfig), which would
    // discard the mounted certificate. lnd.conf sets each path instead.
    args.add("--configfile=" + MemberPaths.CONFIG_FILE);
    args.add("--cluster.id=" + name);
    args.addAll(spec.extraArgs());

    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    secretVolume(volumes, mounts, "lnd-config", n.lndConfigSecret(), MemberPaths.CONFIG_DIR, null);
    secretVolume(volumes, mounts, "lnd-tls", n.lndTlsSecret(), MemberPaths.LND_TLS_DIR, null);
    secretVolume(
        volumes,
        mounts,
        "wallet",
        spec.walletSecretName(),
        MemberPaths.WALLET_DIR,
        List.of(new KeyToPath(spec.walletSecretKey(), 0400, "password")));
    List<String> trustDirs = new ArrayList<>();
    if (spec.etcdTls()) {
      String tlsSecret = spec.etcdClientTlsSecret();
      secretVolume(
          volumes,
          mounts,
          "etcd-ca",
          tlsSecret,
          MemberPaths.ETCD_CA_DIR,
          List.of(new KeyToPath("ca.crt", null, "ca.crt")));
      if (etcdClientCertificate) {
        secretVolume(
            volumes,
            mounts,
            "etcd-client",
            tlsSecret,
            MemberPaths.ETCD_CLIENT_DIR,
            List.of(
                new KeyToPath("tls.crt", null, "tls.crt"),
                new KeyToPath("tls.key", 0400, "tls.key")));
      }
      trustDirs.add(MemberPaths.ETCD_CA_DIR);
    }
    EffectiveSpec.Postgres pg = spec.postgres();
    if (pg != null && pg.ca() != null) {
      secretVolume(
          volumes,
          mounts,
          "postgres-ca",
          pg.ca().name,
          MemberPaths.POSTGRES_CA_DIR,
          List.of(new KeyToPath(pg.ca().key, null, "ca.crt")));
      trustDirs.add(MemberPaths.POSTGRES_CA_DIR);
    }
    volumes.add(new VolumeBuilder().withName("lnd-data").withNewEmptyDir().endEmptyDir().build());
    mounts.add(
        new VolumeMountBuilder().withName("lnd-data").withMountPath(MemberPaths.LND_DIR).build());

    ContainerBuilder container =
        new ContainerBuilder()
            .withName(CONTAINER)
            .withImage(spec.image())
            .withCommand("lnd")
            .withArgs(args)
            .addNewPort()
            .withName("grpc")
            .withContainerPort(MemberPaths.GRPC_PORT)
            .endPort()
            .addNewPort()
            .withName("rest")
            .withContainerPort(MemberPaths.REST_PORT)
            .endPort()
            .addNewPort()
            .withName("p2p")
            .withContainerPort(MemberPaths.P2P_PORT)
            .endPort()
            .withReadinessProbe(ReadinessProbe.build())
            .withResources(spec.resources())
            .withVolumeMounts(mounts)
            .withSecurityContext(PodSecurity.container());
    // lnd creates its default lnddir ($HOME/.lnd) even though lnd.conf moves every file: give it
    // a writable home on the data volume, since the root filesystem is read-only.
    container.addNewEnv().withName("HOME").withValue(MemberPaths.LND_DIR).endEnv();
    if (!trustDirs.isEmpty()) {
      // LND has no CA option for etcd, and the members have no file for a connection string's
      // sslrootcert: Go reads extra roots from SSL_CERT_DIR, beside the system's.
      trustDirs.add(0, MemberPaths.SYSTEM_CA_DIR);
      container
          .addNewEnv()
          .withName("SSL_CERT_DIR")
          .withValue(String.join(":", trustDirs))
          .endEnv();
    }

    Pod pod =
        new PodBuilder()
            .withMetadata(Owned.meta(cluster, name, labels))
            .withNewSpec()
            .withHostname(name)
            .withSubdomain(n.membersService())
            .withRestartPolicy("Always")
            .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
            .withEnableServiceLinks(false)
            .withContainers(container.build())
            .withVolumes(volumes)
            .withNodeSelector(spec.nodeSelector())
            .withTolerations(spec.tolerations())
            .withAffinity(spec.affinity() != null ? spec.affinity() : spreadMembers(n))
            .withTopologySpreadConstraints(Spread.members(n))
            .withSecurityContext(PodSecurity.pod())
            .endSpec()
            .build();
    pod.getMetadata().setAnnotations(Map.of(Labels.CONFIG_HASH, configHash));
    return DesiredHash.stamp(pod);
  }

  /** Prefer one member per node, so a node loss costs at most one member. */
  static Affinity spreadMembers(Names n) {
    return new AffinityBuilder()
        .withNewPodAntiAffinity()
        .addNewPreferredDuringSchedulingIgnoredDuringExecution()
        .withWeight(100)
        .withNewPodAffinityTerm()
        .withTopologyKey("kubernetes.io/hostname")
        .withNewLabelSelector()
        .withMatchLabels(Labels.selector(n.cluster(), Labels.COMPONENT_LND))
        .endLabelSelector()
        .endPodAffinityTerm()
        .endPreferredDuringSchedulingIgnoredDuringExecution()
        .endPodAntiAffinity()
        .build();
  }

  private static void secretVolume(
      List<Volume> volumes,
      List<VolumeMount> mounts,
      String name,
      String secret,
      String path,
      List<KeyToPath> items) {
    volumes.add(
        new VolumeBuilder()
            .withName(name)
            .withNewSecret()
            .withSecretName(secret)
            .withItems(items)
            .withDefaultMode(0440)
            .endSecret()
            .build());
    mounts.add(
        new VolumeMountBuilder().withName(name).withMountPath(path).withReadOnly(true).build());
  }
}
