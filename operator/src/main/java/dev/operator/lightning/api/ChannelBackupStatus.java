package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The multi-channel backup the operator keeps outside the pods. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ChannelBackupStatus {
  @JsonPropertyDescription(
      "Secret holding the latest multi-channel backup under the key channel.backup; it is not"
          + " deleted with the cluster.")
  public String secret;

  @JsonPropertyDescription("When the operator last wrote a backup with a different channel set.")
  public String updatedAt;

  @JsonPropertyDescription("Number of channels the kept backup covers.")
  public Integer channels;

  @JsonPropertyDescription("The member pod the backup was exported from.")
  public String exportedFrom;

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelBackupStatus c
        && Objects.equals(secret, c.secret)
        && Objects.equals(updatedAt, c.updatedAt)
        && Objects.equals(channels, c.channels)
        && Objects.equals(exportedFrom, c.exportedFrom);
  }

  @Override
  public int hashCode() {
    return Objects.hash(secret, updatedAt, channels);
  }
}
