package dev.operator.lightning.chaos;

import dev.operator.lightning.harness.InvariantMonitor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The campaign's table: per fault kind, how long recovery took and the windows it opened. */
final class ChaosTable {
  /**
   * One fault: its kind, fault -> leader active and routed, what the monitor saw, and fault -> the
   * first payment started after it to succeed (-1 when no payments ran).
   */
  record Row(FaultKind kind, long recoveryMs, InvariantMonitor.Windows windows, long paymentMs) {}

  private final List<Row> rows = new ArrayList<>();

  void add(Row row) {
    rows.add(row);
  }

  List<String> violations() {
    List<String> out = new ArrayList<>();
    for (Row r : rows) {
      r.windows().violations().forEach(v -> out.add(r.kind() + ": " + v));
    }
    return out;
  }

  String render() {
    Map<FaultKind, List<Row>> byKind = new EnumMap<>(FaultKind.class);
    rows.forEach(r -> byKind.computeIfAbsent(r.kind(), k -> new ArrayList<>()).add(r));
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "%-29s %5s  %-22s  %-22s  %-20s  %-18s  %-18s  %-18s  %-18s  %s%n",
            "fault",
            "n",
            "recovery p50/p99/max",
            "first payment",
            "routed after API back",
            "stale route",
            "active unrouted",
            "both active",
            "both serving",
            "violations"));
    byKind.forEach(
        (kind, list) ->
            out.append(
                String.format(
                    "%-29s %5d  %-22s  %-22s  %-20s  %-18s  %-18s  %-18s  %-18s  %d%n",
                    kind,
                    list.size(),
                    stats(list.stream().map(Row::recoveryMs).toList()),
                    stats(list.stream().map(Row::paymentMs).filter(ms -> ms >= 0).toList()),
                    stats(
                        list.stream()
                            .map(r -> r.windows().healedAfterApiMs())
                            .filter(ms -> ms >= 0)
                            .toList()),
                    stats(list.stream().map(r -> r.windows().staleRouteMs()).toList()),
                    stats(list.stream().map(r -> r.windows().activeUnroutedMs()).toList()),
                    stats(list.stream().map(r -> r.windows().bothActiveMs()).toList()),
                    stats(list.stream().map(r -> r.windows().bothServingMs()).toList()),
                    list.stream().mapToInt(r -> r.windows().violations().size()).sum())));
    return out.toString();
  }

  /** "p50/p99/max" in ms, nearest rank. */
  static String stats(List<Long> values) {
    if (values.isEmpty()) {
      return "-";
    }
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return pct(sorted, 50) + "/" + pct(sorted, 99) + "/" + sorted.get(sorted.size() - 1);
  }

  private static long pct(List<Long> sorted, int p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(idx, sorted.size() - 1)));
  }
}
