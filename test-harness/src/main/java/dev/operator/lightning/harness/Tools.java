package dev.operator.lightning.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where scripts/tools.sh put the binaries built from source, and which versions were pinned.
 * scripts/versions.env is the single source of the versions.
 */
public final class Tools {
  private final Path repoRoot;
  private final Path toolsDir;
  private final Map<String, String> versions;

  private Tools(Path repoRoot, Path toolsDir, Map<String, String> versions) {
    this.repoRoot = repoRoot;
    this.toolsDir = toolsDir;
    this.versions = versions;
  }

  /** Finds the repository (system property lnc.repoRoot, else the working directory upwards). */
  public static Tools locate() {
    Path root = findRepoRoot();
    String dir = System.getenv("LNC_TOOLS_DIR");
    Path tools =
        dir != null && !dir.isBlank()
            ? Path.of(dir)
            : Path.of(System.getProperty("user.home"), ".cache", "lightning-operator", "tools");
    return new Tools(root, tools, readVersions(root.resolve("scripts/versions.env")));
  }

  private static Path findRepoRoot() {
    String prop = System.getProperty("lnc.repoRoot");
    Path start = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
    for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("scripts/versions.env"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "cannot find scripts/versions.env above " + start + "; run from the repository");
  }

  private static Map<String, String> readVersions(Path file) {
    try {
      Map<String, String> out = new HashMap<>();
      for (String line : Files.readAllLines(file)) {
        String l = line.strip();
        if (!l.isEmpty() && !l.startsWith("#") && l.contains("=")) {
          out.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path repoRoot() {
    return repoRoot;
  }

  public Path toolsDir() {
    return toolsDir;
  }

  public String version(String key) {
    String v = versions.get(key);
    if (v == null) {
      throw new IllegalStateException("scripts/versions.env has no " + key);
    }
    return v;
  }

  public String kubernetesVersion() {
    return version("KUBERNETES_VERSION");
  }

  /**
   * Directory holding kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd.
   */
  public Path kubernetesBinDir() {
    return toolsDir.resolve("k8s").resolve(kubernetesVersion() + "-linux-amd64");
  }

  /** The helm binary scripts/tools.sh built. */
  public Path helm() {
    Path p = toolsDir.resolve("helm").resolve(version("HELM_VERSION")).resolve("helm");
    if (!Files.isExecutable(p)) {
      throw new IllegalStateException("helm not found at " + p + ": run `make tools` first");
    }
    return p;
  }

  /** lnd or lncli, built with -tags "kvdb_etcd kvdb_postgres" by scripts/tools.sh. */
  public Path lnd(String binary) {
    Path p = toolsDir.resolve("lnd").resolve(version("LND_VERSION")).resolve(binary);
    if (!Files.isExecutable(p)) {
      throw new IllegalStateException(binary + " not found at " + p + ": run `make tools` first");
    }
    return p;
  }

  /** btcd or btcctl, at the btcd version lnd's go.mod requires (scripts/tools.sh). */
  public Path btcd(String binary) {
    Path p = toolsDir.resolve("btcd").resolve(version("BTCD_VERSION")).resolve(binary);
    if (!Files.isExecutable(p)) {
      throw new IllegalStateException(binary + " not found at " + p + ": run `make tools` first");
    }
    return p;
  }

  /**
   * A PostgreSQL server binary (postgres, initdb, pg_ctl, psql, ...) of Debian's packages at the
   * major version scripts/versions.env pins, which .ci/run installs.
   */
  public Path postgres(String binary) {
    String major = version("POSTGRES_MAJOR");
    Path p = Path.of("/usr/lib/postgresql", major, "bin", binary);
    if (!Files.isExecutable(p)) {
      throw new IllegalStateException(
          binary + " not found at " + p + ": install Debian's postgresql-" + major + " (.ci/run)");
    }
    return p;
  }

  /**
   * The official postgres image's entrypoint as the harness emulates it over Debian's binaries
   * (resource postgres/docker-entrypoint.sh), installed once into the tools folder.
   */
  public synchronized Path postgresEntrypoint() {
    String major = version("POSTGRES_MAJOR");
    Path p = toolsDir.resolve("postgres").resolve(major).resolve("docker-entrypoint.sh");
    try (var in = Tools.class.getResourceAsStream("/postgres/docker-entrypoint.sh")) {
      if (in == null) {
        throw new IllegalStateException("resource postgres/docker-entrypoint.sh missing");
      }
      String script =
          new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .replace("@PGBIN@", postgres("postgres").getParent().toString());
      if (!Files.exists(p) || !Files.readString(p).equals(script)) {
        Files.createDirectories(p.getParent());
        Path tmp = Files.createTempFile(p.getParent(), "entrypoint", ".sh");
        Files.writeString(tmp, script);
        Files.setAttribute(tmp, "unix:mode", 0755);
        Files.move(
            tmp,
            p,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every option the pinned lnd accepts, as scripts/tools.sh printed it (scripts/lnd-options). */
  public Path lndOptions() {
    Path p = toolsDir.resolve("lnd").resolve(version("LND_VERSION")).resolve("options.tsv");
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("lnd option list not found at " + p + ": run `make tools`");
    }
    return p;
  }

  /** A built binary, or a message saying how to build it. */
  public Path binary(String name) {
    Path p = kubernetesBinDir().resolve(name);
    if (!Files.isExecutable(p)) {
      throw new IllegalStateException(
          name + " not found at " + p + ": run `make tools` (scripts/tools.sh) first");
    }
    return p;
  }
}
