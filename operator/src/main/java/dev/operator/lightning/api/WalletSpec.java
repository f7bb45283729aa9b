package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How every new leader unlocks the shared wallet. */
public class WalletSpec {
  public static final String DEFAULT_PASSWORD_KEY = "password";

  @JsonPropertyDescription(
      "Secret key holding the wallet password (key defaults to password). Absent: the"
          + " operator generates a strong password into the Secret <name>-wallet, which it owns.")
  public SecretKeyRef passwordSecretRef;
}
