package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Leader changes since the cluster was created. */
public class FailoverStatus {
  /** How many recent changes are kept in {@link #recent}. */
  public static final int KEPT = 10;

  @JsonPropertyDescription("Number of leader changes observed.")
  public Integer count = 0;

  @JsonPropertyDescription("The most recent leader changes, newest last (at most 10).")
  public List<FailoverRecord> recent = new ArrayList<>();

  @Override
  public boolean equals(Object o) {
    return o instanceof FailoverStatus f
        && Objects.equals(count, f.count)
        && Objects.equals(recent, f.recent);
  }

  @Override
  public int hashCode() {
    return Objects.hash(count, recent);
  }
}
