package dev.operator.lightning.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The harness's stand-in for cluster DNS: a hosts file the test JVM resolves every name from
 * ({@code -Djdk.net.hosts.file}, with caching off through {@code sun.net.inetaddr.ttl=0}, both set
 * by the build). The kubelet registers each member's DNS name ({@code pod.subdomain.namespace.svc})
 * with the loopback address its process listens on, so the operator reaches members by name, and
 * TLS name checks work as in a cluster.
 */
public final class HostsFile {
  public static final String PROPERTY = "jdk.net.hosts.file";
  private static final Map<String, String> entries = new TreeMap<>();

  private HostsFile() {}

  public static synchronized void put(String name, String ip) {
    entries.put(name, ip);
    write();
  }

  public static synchronized void remove(String name) {
    if (entries.remove(name) != null) {
      write();
    }
  }

  private static void write() {
    String file = System.getProperty(PROPERTY);
    if (file == null) {
      throw new IllegalStateException(
          "-D" + PROPERTY + " is not set: names cannot be resolved to stand-in members");
    }
    StringBuilder b = new StringBuilder("127.0.0.1 localhost\n");
    entries.forEach((name, ip) -> b.append(ip).append(' ').append(name).append('\n'));
    try {
      Path target = Path.of(file);
      Files.createDirectories(target.toAbsolutePath().getParent());
      Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "hosts", ".tmp");
      Files.writeString(tmp, b.toString());
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
