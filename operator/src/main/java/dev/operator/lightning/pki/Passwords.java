package dev.operator.lightning.pki;

import java.security.SecureRandom;
import java.util.Base64;

/** Strong random passwords for the wallets the operator creates. */
public final class Passwords {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Passwords() {}

  /** 256 random bits, URL-safe base64 without padding (43 characters). */
  public static String generate() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
