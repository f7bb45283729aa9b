package dev.operator.lightning.model;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stamps a desired object with a hash of itself. The applier compares the stamp on the live object
 * with the new one and writes only when they differ, which is what makes a reconcile of an
 * unchanged cluster free of writes.
 */
public final class DesiredHash {
  private DesiredHash() {}

  public static <T extends HasMetadata> T stamp(T desired) {
    String hash = of(Serialization.asJson(desired));
    Map<String, String> annotations =
        desired.getMetadata().getAnnotations() != null
            ? new LinkedHashMap<>(desired.getMetadata().getAnnotations())
            : new LinkedHashMap<>();
    annotations.put(Labels.DESIRED_HASH, hash);
    desired.getMetadata().setAnnotations(annotations);
    return desired;
  }

  public static String of(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 10);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String read(HasMetadata object) {
    Map<String, String> a = object.getMetadata().getAnnotations();
    return a == null ? null : a.get(Labels.DESIRED_HASH);
  }
}
