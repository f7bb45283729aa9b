package dev.operator.lightning.reconcile;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether an exported backup replaces the kept one. Pure. A backup is rewritten when it covers a
 * different set of channels; the same set exported again (every failover does) is the same backup
 * for a restore, so it is not written again. An export with no channel never replaces a kept
 * backup: a restore from it could bring nothing back.
 */
final class ChannelBackups {
  private ChannelBackups() {}

  static boolean replaces(List<String> exported, List<String> kept) {
    if (exported.isEmpty()) {
      return false;
    }
    return kept == null || !new TreeSet<>(exported).equals(Set.copyOf(kept));
  }

  /** The channel points as kept in the Secret: sorted, one per line. */
  static String format(List<String> points) {
    return String.join("\n", new TreeSet<>(points)) + "\n";
  }

  static List<String> parse(String kept) {
    return kept == null ? null : kept.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }
}
