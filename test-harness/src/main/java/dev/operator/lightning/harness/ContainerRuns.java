package dev.operator.lightning.harness;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Every container process a kubelet ran, from its start to the moment it was reaped: what really
 * ran, as only the node knows it, for the monitor to hold the operator's claims against.
 */
public final class ContainerRuns {
  /** One process of a pod's container; {@code ended} is null while it runs. */
  public record Run(String pod, Instant started, Instant ended) {
    /** Whether the process ran at {@code t}. */
    public boolean runsAt(Instant t) {
      return !started.isAfter(t) && (ended == null || ended.isAfter(t));
    }
  }

  private final List<Run> runs = new ArrayList<>();

  /** Records a process started now; the returned index ends it. */
  synchronized int started(String pod, Instant at) {
    runs.add(new Run(pod, at, null));
    return runs.size() - 1;
  }

  /** Records the process ended; the first record stands, the earliest a kubelet knew of it. */
  synchronized void ended(int index, Instant at) {
    Run r = runs.get(index);
    if (r.ended() == null) {
      runs.set(index, new Run(r.pod(), r.started(), at));
    }
  }

  public synchronized List<Run> all() {
    return List.copyOf(runs);
  }
}
