package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** One run of a container probe, the way the kubelet runs it. */
final class ProbeCheck {
  private ProbeCheck() {}

  /**
   * Runs the probe once, as declared, against the container whose process is {@code pid}: exec
   * inside its network and mount namespaces with its environment, httpGet and tcpSocket against the
   * pod IP.
   */
  static boolean passes(
      Probe probe,
      long pid,
      String podIp,
      List<ContainerPort> ports,
      Map<String, String> env,
      ContainerUser user) {
    int timeout = seconds(probe.getTimeoutSeconds(), 1);
    try {
      if (probe.getExec() != null) {
        // An exec probe runs as the container's user, as the container runtime runs it.
        List<String> cmd =
            new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-n", "-m", "--"));
        cmd.addAll(user.runAs());
        cmd.addAll(probe.getExec().getCommand());
        return LocalCommand.run(cmd, env, Duration.ofSeconds(timeout)).exitCode() == 0;
      }
      if (probe.getHttpGet() != null) {
        var get = probe.getHttpGet();
        String scheme = get.getScheme() == null ? "http" : get.getScheme().toLowerCase();
        URI uri =
            URI.create(
                scheme
                    + "://"
                    + podIp
                    + ":"
                    + port(ports, get.getPort())
                    + (get.getPath() == null ? "/" : get.getPath()));
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        if (c instanceof HttpsURLConnection https) {
          // The kubelet does not verify probe certificates.
          https.setSSLSocketFactory(trustAll().getSocketFactory());
          https.setHostnameVerifier((h, s) -> true);
        }
        c.setConnectTimeout(timeout * 1000);
        c.setReadTimeout(timeout * 1000);
        int code = c.getResponseCode();
        c.disconnect();
        return code >= 200 && code < 400;
      }
      if (probe.getTcpSocket() != null) {
        try (Socket s = new Socket()) {
          s.connect(
              new InetSocketAddress(podIp, port(ports, probe.getTcpSocket().getPort())),
              timeout * 1000);
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private static int port(List<ContainerPort> ports, IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return (ports == null ? List.<ContainerPort>of() : ports)
        .stream()
            .filter(p -> port.getStrVal().equals(p.getName()))
            .map(ContainerPort::getContainerPort)
            .findFirst()
            .orElseThrow(
                () -> new IllegalArgumentException("no container port named " + port.getStrVal()));
  }

  /** A probe setting, or Kubernetes' default when unset (0 counts as unset). */
  static int seconds(Integer value, int fallback) {
    return value == null || value == 0 ? fallback : value;
  }

  /**
   * A TLS context that checks no certificate, as the kubelet's HTTPS probes do; also the monitor's,
   * which only reads a state.
   */
  static SSLContext trustAll() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(
          null,
          new TrustManager[] {
            new X509TrustManager() {
              @Override
              public void checkClientTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public void checkServerTrusted(X509Certificate[] chain, String authType) {}

              @Override
              public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
              }
            }
          },
          null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
