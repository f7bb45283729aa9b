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

  static void row(String name, List<Long> v) {
    System.out.printf(
        "%-62s %8d %8d %8d%n", name, pct(v, 50), pct(v, 99), v.isEmpty() ? -1 : Collections.max(v));
  }
}
