package dev.operator.lightning.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Every option lnd's parser accepts, read from {@code lnd-options.tsv}: the list {@code
 * scripts/lnd-options} prints from lnd's own config struct at the pinned version (a test keeps the
 * copy in step with the built lnd).
 */
public final class LndOptions {
  static final String RESOURCE = "/lnd-options.tsv";

  /**
   * One lnd option.
   *
   * @param longName the long name with its namespace ({@code db.etcd.host}), or null
   * @param shortName the one-letter name ({@code C} for configfile), or null
   * @param field the Go field name, which lnd.conf also accepts as a key (go-flags matches it)
   * @param takesValue false for a boolean switch
   * @param group the option group path, for messages
   */
  public record Option(
      String longName, String shortName, String field, boolean takesValue, String group) {}

  private static final List<Option> ALL = load();

  private LndOptions() {}

  public static List<Option> all() {
    return ALL;
  }

  private static List<Option> load() {
    try (InputStream in = LndOptions.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      List<Option> out = new ArrayList<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t", -1);
        if (f.length != 5) {
          throw new IllegalStateException(RESOURCE + ": malformed line: " + line);
        }
        out.add(new Option(dash(f[0]), dash(f[1]), f[2], !"bool".equals(f[3]), f[4]));
      }
      return List.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String dash(String s) {
    return "-".equals(s) ? null : s;
  }
}
