package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.operator.lightning.harness.LocalCluster;
import dev.operator.lightning.harness.SandboxKubelet;
import dev.operator.lightning.harness.Tools;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real lncli, run on the local cluster's pod network against a cluster's leader Service by its
 * DNS name, with the TLS certificate and admin macaroon the operator exported: what a client in the
 * cluster does.
 */
public final class Lncli {
  public static final String IDENTITY = "\"identity_pubkey\"\\s*:\\s*\"([0-9a-f]{66})\"";
  public static final String SERVER_ACTIVE = "\"state\"\\s*:\\s*\"(SERVER_ACTIVE)\"";

  private Lncli() {}

  /** The node's identity pubkey from {@code lncli getinfo}. */
  public static String identityThroughLeaderService(LocalCluster cluster, String ns, String name) {
    return throughLeaderService(cluster, ns, name, "getinfo", IDENTITY);
  }

  /**
   * Runs {@code lncli <command>} until its output matches {@code pattern} (within 60 s); returns
   * the pattern's first group.
   */
  public static String throughLeaderService(
      LocalCluster cluster, String ns, String name, String command, String pattern) {
    Path dir = credentials(cluster, ns, name);
    try {
      return until(cluster, ns, name, command, pattern, dir);
    } finally {
      dir.resolve("tls.crt").toFile().delete();
      dir.resolve("admin.macaroon").toFile().delete();
      dir.toFile().delete();
    }
  }

  private static String until(
      LocalCluster cluster, String ns, String name, String command, String pattern, Path dir) {
    String[] found = new String[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              SandboxKubelet.ExecResult r =
                  cluster.runInCluster(
                      List.of(
                          Tools.locate().lnd("lncli").toString(),
                          "--rpcserver=" + name + "." + ns + ".svc:10009",
                          "--tlscertpath=" + dir.resolve("tls.crt"),
                          "--macaroonpath=" + dir.resolve("admin.macaroon"),
                          "--network=regtest",
                          command),
                      Duration.ofSeconds(20));
              Matcher m = Pattern.compile(pattern).matcher(r.output());
              assertThat(m.find())
                  .as("lncli %s (exit %d): %s", command, r.exitCode(), r.output())
                  .isTrue();
              found[0] = m.group(1);
            });
    return found[0];
  }

  /** Runs {@code lncli args...} once against cluster {@code name}'s leader Service. */
  public static SandboxKubelet.ExecResult run(
      LocalCluster cluster, String ns, String name, List<String> args) {
    Path dir = credentials(cluster, ns, name);
    try {
      List<String> cmd = new java.util.ArrayList<>();
      cmd.add(Tools.locate().lnd("lncli").toString());
      cmd.add("--rpcserver=" + name + "." + ns + ".svc:10009");
      cmd.add("--tlscertpath=" + dir.resolve("tls.crt"));
      cmd.add("--macaroonpath=" + dir.resolve("admin.macaroon"));
      cmd.add("--network=regtest");
      cmd.addAll(args);
      return cluster.runInCluster(cmd, Duration.ofSeconds(30));
    } finally {
      dir.resolve("tls.crt").toFile().delete();
      dir.resolve("admin.macaroon").toFile().delete();
      dir.toFile().delete();
    }
  }

  private static Path credentials(LocalCluster cluster, String ns, String name) {
    Secret admin = cluster.client().secrets().inNamespace(ns).withName(name + "-admin").get();
    assertThat(admin).as("Secret %s-admin with the exported credentials", name).isNotNull();
    try {
      Path dir = Files.createTempDirectory("lncli");
      Files.write(
          dir.resolve("tls.crt"), Base64.getDecoder().decode(admin.getData().get("tls.crt")));
      Files.write(
          dir.resolve("admin.macaroon"),
          Base64.getDecoder().decode(admin.getData().get("admin.macaroon")));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
