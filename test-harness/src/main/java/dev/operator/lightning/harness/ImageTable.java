package dev.operator.lightning.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The one table from container images to the local binaries that stand for them. A container runs
 * its declared command (or the image's entrypoint) looked up by file name among its image's
 * binaries; an image or command not listed here is refused with a message, never approximated.
 */
public final class ImageTable {
  /** An image family, the binaries it ships by file name, and its entrypoint. */
  public record Image(Pattern name, Map<String, Supplier<Path>> binaries, String entrypoint) {}

  private final List<Image> images;

  public ImageTable(List<Image> images) {
    this.images = images;
  }

  /**
   * lightninglabs/lnd: lnd, lncli (built with kvdb_etcd and kvdb_postgres); etcd images: etcd; btcd
   * images (there is no official one; btcsuite/btcd and lightninglabs/btcd are the names in use):
   * btcd, btcctl; the official postgres image: Debian's server binaries behind an emulation of its
   * entrypoint (initdb with POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB on an empty volume).
   */
  public static ImageTable standard() {
    Tools tools = Tools.locate();
    return new ImageTable(
        List.of(
            new Image(
                Pattern.compile("^(docker\\.io/)?lightninglabs/lnd(:[^/]*)?(@.*)?$"),
                Map.of("lnd", () -> tools.lnd("lnd"), "lncli", () -> tools.lnd("lncli")),
                "lnd"),
            new Image(
                Pattern.compile(
                    "^((quay\\.io/coreos|gcr\\.io/etcd-development|registry\\.k8s\\.io)/etcd)(:[^/]*)?(@.*)?$"),
                Map.of("etcd", () -> tools.binary("etcd")),
                "etcd"),
            new Image(
                Pattern.compile("^(docker\\.io/)?(btcsuite|lightninglabs)/btcd(:[^/]*)?(@.*)?$"),
                Map.of("btcd", () -> tools.btcd("btcd"), "btcctl", () -> tools.btcd("btcctl")),
                "btcd"),
            new Image(
                Pattern.compile("^(docker\\.io/)?(library/)?postgres(:[^/]*)?(@.*)?$"),
                Map.of(
                    "docker-entrypoint.sh",
                    tools::postgresEntrypoint,
                    "postgres",
                    () -> tools.postgres("postgres"),
                    "psql",
                    () -> tools.postgres("psql"),
                    "pg_isready",
                    () -> tools.postgres("pg_isready")),
                "docker-entrypoint.sh")));
  }

  /** The local binary for the container's first command word (or the entrypoint). */
  public Path binaryFor(String image, List<String> command) {
    Image img =
        images.stream()
            .filter(i -> i.name().matcher(image).matches())
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "image " + image + " has no local binary in the harness image table"));
    String first = command == null || command.isEmpty() ? img.entrypoint() : command.get(0);
    String file = Path.of(first).getFileName().toString();
    Supplier<Path> binary = img.binaries().get(file);
    if (binary == null) {
      throw new IllegalArgumentException(
          "image " + image + " has no binary " + first + " in the harness image table");
    }
    return binary.get();
  }
}
