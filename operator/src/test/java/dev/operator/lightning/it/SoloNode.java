package dev.operator.lightning.it;

import static org.awaitility.Awaitility.await;

import dev.operator.lightning.lnd.LndRestClient;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The baseline: the same lnd binary as one plain pod on its local bbolt database, with no cluster,
 * no election and no operator, on the same btcd and pod network. Its wallet is created over REST.
 */
public final class SoloNode {
  private static final String PASSWORD = "solo-node-wallet-password";

  public final String name;
  public final String host;
  private final byte[] macaroon;
  private final byte[] caPem;

  private SoloNode(String name, String host, byte[] macaroon, byte[] caPem) {
    this.name = name;
    this.host = host;
    this.macaroon = macaroon;
    this.caPem = caPem;
  }

  public static SoloNode start(KubernetesClient client, String ns, String name, RegtestChain chain)
      throws Exception {
    String host = name + "." + ns + ".svc";
    CertificateAuthority ca = CertificateAuthority.generate(name + " ca");
    CertificateAuthority.Issued tls =
        ca.issue(
            new CertificateRequest(name, name, List.of(host, "localhost"), List.of(), true, false));
    String conf =
        String.join(
            "\n",
            "[Application Options]",
            "datadir=/data/data",
            "logdir=/data/logs",
            "tlscertpath=/etc/lnd/tls.crt",
            "tlskeypath=/etc/lnd/tls.key",
            "listen=0.0.0.0:9735",
            "rpclisten=0.0.0.0:10009",
            "restlisten=0.0.0.0:8080",
            "nobootstrap=true",
            "alias=" + name,
            "[Bitcoin]",
            "bitcoin.regtest=true",
            "bitcoin.node=btcd",
            "[Btcd]",
            "btcd.rpchost=" + chain.rpcHost(),
            "btcd.rpcuser=" + RegtestChain.USER,
            "btcd.rpcpass=" + chain.rpcPassword(),
            "btcd.rawrpccert="
                + HexFormat.of().formatHex(chain.certificatePem().getBytes(StandardCharsets.UTF_8)),
            "");
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-conf")
                .withNamespace(ns)
                .endMetadata()
                .addToStringData("lnd.conf", conf)
                .addToStringData("tls.crt", tls.certificatePem())
                .addToStringData("tls.key", tls.keyPem())
                .build())
        .create();
    Map<String, String> labels = Map.of("app.kubernetes.io/name", name);
    client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withSelector(labels)
                .addNewPort()
                .withName("rest")
                .withPort(8080)
                .withTargetPort(new IntOrString(8080))
                .endPort()
                .addNewPort()
                .withName("grpc")
                .withPort(10009)
                .withTargetPort(new IntOrString(10009))
                .endPort()
                .addNewPort()
                .withName("p2p")
                .withPort(9735)
                .withTargetPort(new IntOrString(9735))
                .endPort()
                .endSpec()
                .build())
        .create();
    client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(10003L)
                .withRunAsGroup(10003L)
                .withFsGroup(10003L)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .addNewContainer()
                .withName("lnd")
                .withImage("lightninglabs/lnd:v0.21.3-beta")
                .withCommand("lnd")
                .withArgs("--configfile=/etc/lnd/lnd.conf")
                .addNewEnv()
                .withName("HOME")
                .withValue("/data")
                .endEnv()
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount()
                .withName("conf")
                .withMountPath("/etc/lnd")
                .withReadOnly(true)
                .endVolumeMount()
                .addNewVolumeMount()
                .withName("data")
                .withMountPath("/data")
                .endVolumeMount()
                .endContainer()
                .addNewVolume()
                .withName("conf")
                .withNewSecret()
                .withSecretName(name + "-conf")
                .endSecret()
                .endVolume()
                .addNewVolume()
                .withName("data")
                .withNewEmptyDir()
                .endEmptyDir()
                .endVolume()
                .endSpec()
                .build())
        .create();
    LndRestClient rest = new LndRestClient(ca.certificate());
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> rest.state(host, 8080).filter("NON_EXISTING"::equals).isPresent());
    List<String> seed = rest.genSeed(host, 8080);
    byte[] mac = rest.initWallet(host, 8080, PASSWORD, seed, 0, null, null);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> rest.state(host, 8080).filter("SERVER_ACTIVE"::equals).isPresent());
    return new SoloNode(name, host, mac, ca.certificatePem().getBytes(StandardCharsets.UTF_8));
  }

  public NodeRest rest() {
    return NodeRest.of(host, macaroon, caPem);
  }
}
