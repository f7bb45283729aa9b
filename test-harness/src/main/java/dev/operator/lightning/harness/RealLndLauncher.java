package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Runs a member pod's container with the real lnd binary, as the pod declares it: command and
 * arguments, environment, and its Secret and emptyDir volumes materialised under a per-pod folder.
 * Without container isolation the mount paths are rewritten to that folder in the arguments, the
 * environment and the mounted lnd.conf; listeners on 0.0.0.0 bind to the pod's own loopback
 * address; the etcd endpoint goes through the same name mapping as cluster DNS. Images map to
 * binaries through one table: any lightninglabs/lnd image runs the lnd built by scripts/tools.sh;
 * anything else is refused.
 */
public final class RealLndLauncher implements MemberLauncher {
  private static final Pattern LND_IMAGE =
      Pattern.compile("^(docker\\.io/)?lightninglabs/lnd(:.*)?$");

  private final KubernetesClient client;
  private final Function<String, String> endpointRewrite;

  public RealLndLauncher(KubernetesClient client, Function<String, String> endpointRewrite) {
    this.client = client;
    this.endpointRewrite = endpointRewrite;
  }

  @Override
  public MemberProcess launch(Pod pod, String listenIp) {
    Container c = pod.getSpec().getContainers().get(0);
    if (!LND_IMAGE.matcher(c.getImage()).matches()) {
      throw new IllegalStateException(
          "the process kubelet cannot run image "
              + c.getImage()
              + ": only lightninglabs/lnd maps to a local binary");
    }
    try {
      Path root = Files.createTempDirectory("pod-" + pod.getMetadata().getName() + "-");
      Map<String, String> mounts = new HashMap<>();
      for (VolumeMount vm : c.getVolumeMounts()) {
        Path target = root.resolve(vm.getMountPath().substring(1));
        Files.createDirectories(target);
        mounts.put(vm.getMountPath(), target.toString());
        Volume v =
            pod.getSpec().getVolumes().stream()
                .filter(x -> x.getName().equals(vm.getName()))
                .findFirst()
                .orElseThrow();
        if (v.getSecret() != null) {
          materialise(
              pod.getMetadata().getNamespace(),
              v.getSecret().getSecretName(),
              v.getSecret().getItems(),
              target);
        }
      }
      // Rewrite mounted text files (lnd.conf) and the arguments to the folder's paths.
      for (String mounted : mounts.values()) {
        try (var files = Files.list(Path.of(mounted))) {
          for (Path f : files.toList()) {
            if (f.toString().endsWith(".conf")) {
              Files.writeString(f, rewrite(Files.readString(f), mounts, listenIp));
            }
          }
        }
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(Tools.locate().lnd("lnd").toString());
      c.getArgs().forEach(a -> cmd.add(rewrite(a, mounts, listenIp)));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().put("HOME", root.toString());
      for (EnvVar e : c.getEnv()) {
        if (e.getValue() != null) {
          pb.environment().put(e.getName(), rewrite(e.getValue(), mounts, listenIp));
        }
      }
      Path log = root.resolve("lnd.out");
      Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
      String host =
          pod.getSpec().getHostname()
              + "."
              + pod.getSpec().getSubdomain()
              + "."
              + pod.getMetadata().getNamespace()
              + ".svc";
      Path ca =
          Path.of(
                  mounts.get(
                      c.getVolumeMounts().stream()
                          .filter(m -> m.getName().equals("lnd-tls"))
                          .findFirst()
                          .orElseThrow()
                          .getMountPath()))
              .resolve("ca.crt");
      return new RealMember(p, host, https(Files.readString(ca)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start " + pod.getMetadata().getName(), e);
    }
  }

  private String rewrite(String text, Map<String, String> mounts, String ip) {
    String out = text;
    // Longest mount paths first, so /var/run/lightning/etcd-ca is not cut by a shorter prefix.
    List<String> paths = new ArrayList<>(mounts.keySet());
    paths.sort((a, b) -> b.length() - a.length());
    for (String m : paths) {
      out = out.replace(m, mounts.get(m));
    }
    out = out.replace("0.0.0.0:", ip + ":");
    Matcher host = Pattern.compile("(?m)^db\\.etcd\\.host=(.*)$").matcher(out);
    if (host.find()) {
      out =
          host.replaceFirst(
              "db.etcd.host=" + Matcher.quoteReplacement(endpointRewrite.apply(host.group(1))));
    }
    return out;
  }

  private void materialise(String ns, String secretName, List<KeyToPath> items, Path target)
      throws IOException {
    Secret s = client.secrets().inNamespace(ns).withName(secretName).get();
    if (s == null) {
      throw new IllegalStateException("Secret " + ns + "/" + secretName + " not found");
    }
    Map<String, String> keyToPath = new HashMap<>();
    if (items == null || items.isEmpty()) {
      s.getData().keySet().forEach(k -> keyToPath.put(k, k));
    } else {
      items.forEach(i -> keyToPath.put(i.getKey(), i.getPath()));
    }
    for (var e : keyToPath.entrySet()) {
      Files.write(
          target.resolve(e.getValue()), Base64.getDecoder().decode(s.getData().get(e.getKey())));
    }
  }

  private static HttpClient https(String caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry(
        "ca",
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.UTF_8))));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(1)).build();
  }

  /** The real process; its state is read like the operator reads it, by DNS name over TLS. */
  private static final class RealMember implements MemberProcess {
    private final Process process;
    private final String host;
    private final HttpClient http;
    private volatile boolean stopping;

    RealMember(Process process, String host, HttpClient http) {
      this.process = process;
      this.host = host;
      this.http = http;
    }

    @Override
    public String state() {
      try {
        String body =
            http.send(
                    HttpRequest.newBuilder(URI.create("https://" + host + ":8080/v1/state"))
                        .timeout(Duration.ofSeconds(2))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher m = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"").matcher(body);
        return m.find() ? m.group(1) : null;
      } catch (Exception e) {
        return null;
      }
    }

    @Override
    public boolean exited() {
      return !stopping && !process.isAlive();
    }

    @Override
    public void crash() {
      stopping = true;
      Processes.stop(process, true);
    }

    @Override
    public void shutdownGracefully() {
      stopping = true;
      Processes.stop(process, false);
    }
  }
}
