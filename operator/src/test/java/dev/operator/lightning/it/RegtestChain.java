package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.operator.lightning.api.BtcdSpec;
import dev.operator.lightning.api.ChainBackend;
import dev.operator.lightning.api.ChainSpec;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.SecretKeyRef;
import dev.operator.lightning.api.SecretRef;
import dev.operator.lightning.chain.BtcdProbe;
import dev.operator.lightning.harness.LocalCluster;
import dev.operator.lightning.harness.SandboxKubelet;
import dev.operator.lightning.harness.Tools;
import dev.operator.lightning.model.CertificateRequest;
import dev.operator.lightning.pki.CertificateAuthority;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A btcd regtest chain on the local cluster, from manifests/regtest: the btcd pod clusters use as
 * their chain backend, and a miner pod (a second btcd) that pays its blocks to one address.
 */
public final class RegtestChain {
  public static final String SECRET = "btcd-rpc";
  public static final String USER = "lnc";

  /**
   * Blocks for segwit and taproot to activate on btcd's regtest (BIP9 over 144-block windows:
   * started at 144, locked in at 288, active from 432). Mined before any LND starts, so no wallet
   * processes them one by one.
   */
  public static final int ACTIVATION_BLOCKS = 432;

  /** Blocks after which a coinbase can be spent, plus the one that pays it. */
  public static final int MATURITY_BLOCKS = 101;

  private final LocalCluster cluster;
  private final String ns;
  private final String password = UUID.randomUUID().toString();
  private final Path certFile;
  private final String certPem;
  private String miningAddress;

  /** Where the chain's pods go (the outside node of a campaign), or null for anywhere. */
  private final java.util.function.Consumer<io.fabric8.kubernetes.api.model.PodSpec> placement;

  private RegtestChain(
      LocalCluster cluster,
      String ns,
      java.util.function.Consumer<io.fabric8.kubernetes.api.model.PodSpec> placement)
      throws IOException {
    this.cluster = cluster;
    this.ns = ns;
    this.placement = placement;
    CertificateAuthority ca = CertificateAuthority.generate("regtest btcd");
    List<String> names =
        List.of(
            "btcd",
            "btcd." + ns + ".svc",
            "btcd." + ns + ".svc.cluster.local",
            "btcd-miner." + ns + ".svc",
            "localhost");
    CertificateAuthority.Issued issued =
        ca.issue(new CertificateRequest(SECRET, "btcd", names, List.of("127.0.0.1"), true, false));
    // btcd serves the whole file as its chain; LND and the probe trust every certificate in it.
    this.certPem = issued.certificatePem() + ca.certificatePem();
    this.certFile = Files.createTempFile("btcd-rpc", ".cert");
    Files.writeString(certFile, certPem);
    client()
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SECRET)
                .withNamespace(ns)
                .endMetadata()
                .addToStringData("rpcuser", USER)
                .addToStringData("rpcpass", password)
                .addToStringData("rpc.cert", certPem)
                .addToStringData("rpc.key", issued.keyPem())
                .addToStringData(
                    "btcd.conf",
                    "[Application Options]\nrpcuser=" + USER + "\nrpcpass=" + password + "\n")
                .build())
        .create();
  }

  /** Creates the btcd pod and its Service, and waits until its RPC answers. */
  public static RegtestChain deploy(LocalCluster cluster, String ns) {
    return deploy(cluster, ns, null);
  }

  /**
   * As {@link #deploy(LocalCluster, String)}, each of the chain's pods placed by {@code placement}.
   */
  public static RegtestChain deploy(
      LocalCluster cluster,
      String ns,
      java.util.function.Consumer<io.fabric8.kubernetes.api.model.PodSpec> placement) {
    try {
      RegtestChain chain = new RegtestChain(cluster, ns, placement);
      chain.apply(Files.readString(manifest("btcd.yaml")));
      chain.awaitRpc(chain.rpcHost());
      return chain;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** btcd's RPC address as clusters name it: its Service. */
  public String rpcHost() {
    return "btcd." + ns + ".svc:18334";
  }

  public String certificatePem() {
    return certPem;
  }

  /** The RPC password, for a node configured by hand (the baseline's lnd.conf). */
  public String rpcPassword() {
    return password;
  }

  /** Points the cluster's chain at this btcd. */
  public LightningCluster attach(LightningCluster lc) {
    lc.getSpec().chain = new ChainSpec();
    lc.getSpec().chain.backend = ChainBackend.btcd;
    lc.getSpec().chain.btcd = new BtcdSpec();
    lc.getSpec().chain.btcd.rpcHost = rpcHost();
    lc.getSpec().chain.btcd.rpcCredentialsSecretRef = new SecretRef(SECRET);
    lc.getSpec().chain.btcd.rpcCertSecretRef = new SecretKeyRef(SECRET, null);
    return lc;
  }

  /**
   * A regtest P2PKH address nobody holds the key of (a random hash160): where blocks go that only
   * advance the chain.
   */
  public static String burnAddress() {
    byte[] payload = new byte[21];
    payload[0] = 0x6f; // testnet and regtest P2PKH
    byte[] hash = new byte[20];
    new java.security.SecureRandom().nextBytes(hash);
    System.arraycopy(hash, 0, payload, 1, 20);
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      byte[] check = sha.digest(sha.digest(payload));
      byte[] full = new byte[25];
      System.arraycopy(payload, 0, full, 0, 21);
      System.arraycopy(check, 0, full, 21, 4);
      return base58(full);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String base58(byte[] data) {
    String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    java.math.BigInteger n = new java.math.BigInteger(1, data);
    StringBuilder b = new StringBuilder();
    java.math.BigInteger base = java.math.BigInteger.valueOf(58);
    while (n.signum() > 0) {
      java.math.BigInteger[] qr = n.divideAndRemainder(base);
      b.append(alphabet.charAt(qr[1].intValue()));
      n = qr[0];
    }
    for (int i = 0; i < data.length && data[i] == 0; i++) {
      b.append('1');
    }
    return b.reverse().toString();
  }

  /** The chain's height as btcd reports it. */
  public long height() {
    BtcdProbe.Result r = BtcdProbe.probe(rpcHost(), 18334, certPem, USER, password);
    assertThat(r.ok()).as("btcd RPC: %s", r.message()).isTrue();
    return r.blockCount();
  }

  /**
   * Mines {@code blocks} blocks paying {@code address} and hands them to btcd. btcd on regtest only
   * syncs from peers on localhost, so the miner is not its peer: btcd's mempool is copied to the
   * miner before mining, and each block the miner makes is submitted to btcd. A new address means a
   * new miner pod, which is first given btcd's chain.
   */
  public void mine(String address, int blocks) {
    try {
      BtcdRpc btcd = new BtcdRpc(rpcHost(), certPem, USER, password);
      if (!address.equals(miningAddress)) {
        startMiner(address);
        BtcdRpc fresh = new BtcdRpc(minerHost(), certPem, USER, password);
        submitBlocks(btcd, fresh, 1, btcd.call("getblockcount").asLong(), "the new miner");
      }
      BtcdRpc miner = new BtcdRpc(minerHost(), certPem, USER, password);
      List<List<Object>> mempool = new ArrayList<>();
      for (JsonNode txid : btcd.call("getrawmempool")) {
        mempool.add(List.of(txid.asText(), 0));
      }
      List<List<Object>> raws = new ArrayList<>();
      for (JsonNode raw : btcd.results("getrawtransaction", mempool)) {
        raws.add(List.of(raw.asText()));
      }
      for (BtcdRpc.Answer a : miner.batch("sendrawtransaction", raws)) {
        if (a.error() != null && !a.error().contains("already")) {
          throw new IOException("sendrawtransaction to the miner: " + a.error());
        }
      }
      SandboxKubelet.ExecResult r =
          cluster.runInCluster(
              List.of(
                  Tools.locate().btcd("btcctl").toString(),
                  "--regtest",
                  "--rpcserver=" + minerHost(),
                  "--rpcuser=" + USER,
                  "--rpcpass=" + password,
                  "--rpccert=" + certFile,
                  "generate",
                  Integer.toString(blocks)),
              Duration.ofSeconds(120));
      assertThat(r.exitCode()).as("btcctl generate %d: %s", blocks, r.output()).isZero();
      long height = miner.call("getblockcount").asLong();
      submitBlocks(miner, btcd, btcd.call("getblockcount").asLong() + 1, height, "btcd");
      assertThat(height()).as("btcd's height after mining").isEqualTo(height);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Hands blocks {@code from}..{@code to} of {@code source}'s chain to {@code target}, in order.
   */
  private static void submitBlocks(BtcdRpc source, BtcdRpc target, long from, long to, String who)
      throws IOException {
    List<List<Object>> heights = new ArrayList<>();
    for (long h = from; h <= to; h++) {
      heights.add(List.of(h));
    }
    List<List<Object>> hashes = new ArrayList<>();
    for (JsonNode hash : source.results("getblockhash", heights)) {
      hashes.add(List.of(hash.asText(), 0));
    }
    List<List<Object>> blocks = new ArrayList<>();
    for (JsonNode raw : source.results("getblock", hashes)) {
      blocks.add(List.of(raw.asText()));
    }
    List<BtcdRpc.Answer> answers = target.batch("submitblock", blocks);
    for (int i = 0; i < answers.size(); i++) {
      BtcdRpc.Answer a = answers.get(i);
      JsonNode result = a.result();
      assertThat(
              a.error() == null
                  && (result.isNull()
                      || result.asText().isEmpty()
                      || result.asText().equals("duplicate")))
          .as("%s's answer to block %d: %s %s", who, from + i, result, a.error())
          .isTrue();
    }
  }

  private String minerHost() {
    return "btcd-miner." + ns + ".svc:18334";
  }

  private void startMiner(String address) {
    KubernetesClient client = client();
    Pod old = client.pods().inNamespace(ns).withName("btcd-miner").get();
    if (old != null) {
      client.pods().inNamespace(ns).withName("btcd-miner").withGracePeriod(0).delete();
      client.services().inNamespace(ns).withName("btcd-miner").delete();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> client.pods().inNamespace(ns).withName("btcd-miner").get() == null);
    }
    try {
      apply(Files.readString(manifest("miner.yaml")).replace("MINING_ADDRESS", address));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    miningAddress = address;
    awaitRpc(minerHost());
  }

  private void awaitRpc(String hostPort) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              BtcdProbe.Result r = BtcdProbe.probe(hostPort, 18334, certPem, USER, password);
              assertThat(r.ok()).as("btcd RPC at %s: %s", hostPort, r.message()).isTrue();
            });
  }

  private void apply(String yaml) {
    create(client(), ns, yaml, placement);
  }

  /** Creates every object of a manifest in the namespace. */
  static void create(KubernetesClient client, String ns, String yaml) {
    create(client, ns, yaml, null);
  }

  /** As {@link #create(KubernetesClient, String, String)}, each pod placed by {@code placement}. */
  private static void create(
      KubernetesClient client,
      String ns,
      String yaml,
      java.util.function.Consumer<io.fabric8.kubernetes.api.model.PodSpec> placement) {
    for (HasMetadata o : client.load(new java.io.ByteArrayInputStream(yaml.getBytes())).items()) {
      o.getMetadata().setNamespace(ns);
      if (placement != null && o instanceof io.fabric8.kubernetes.api.model.Pod pod) {
        placement.accept(pod.getSpec());
      }
      client.resource(o).create();
    }
  }

  private KubernetesClient client() {
    return cluster.client();
  }

  private static Path manifest(String name) {
    return Tools.locate().repoRoot().resolve("manifests/regtest").resolve(name);
  }
}
