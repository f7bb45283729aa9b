package dev.operator.lightning.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Nearest-rank percentiles and the benchmarks' table rows. */
final class Percentiles {
  private Percentiles() {}

  static long pct(List<Long> v, int p) {
    if (v.isEmpty()) {
      return -1;
    }
    List<Long> s = new ArrayList<>(v);
    Collections.sort(s);
    int idx = (int) Math.ceil(p / 100.0 * s.size()) - 1;
    return s.get(Math.max(0, Math.min(idx, s.size() - 1)));
  }

  /** "p50 / p99 / max ms (n)" of a list, for one line of text. */
  static String of(List<Long> v) {
    return v.isEmpty()
        ? "none"
        : String.format(
            "p50 %d / p99 %d / max %d ms (n=%d)",
            pct(v, 50), pct(v, 99), Collections.max(v), v.size());
  }

  static void row(String name, List<Long> v) {
    System.out.print(rowText(name, v));
  }

  private static String rowText(String name, List<Long> v) {
    return String.format(
        "%-62s %8d %8d %8d%n", name, pct(v, 50), pct(v, 99), v.isEmpty() ? -1 : Collections.max(v));
  }

  /** A title, the header and one row per entry, as text to print later. */
  static String table(String title, List<java.util.Map.Entry<String, List<Long>>> rows) {
    StringBuilder b = new StringBuilder(title);
    b.append(String.format("%-62s %8s %8s %8s%n", "", "p50 ms", "p99 ms", "max ms"));
    rows.forEach(r -> b.append(rowText(r.getKey(), r.getValue())));
    return b.toString();
  }
}
