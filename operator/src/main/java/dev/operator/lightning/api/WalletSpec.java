package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How every new leader unlocks the shared wallet. */
public class WalletSpec {
  public static final String DEFAULT_PASSWORD_KEY = "password";
  public static final String MNEMONIC_KEY = "mnemonic";

  @JsonPropertyDescription(
      "Secret key holding the wallet password (key defaults to password). Absent: the"
          + " operator generates a strong password into the Secret <name>-wallet, which it owns.")
  public SecretKeyRef passwordSecretRef;

  @JsonPropertyDescription(
      "Secret with an existing 24-word aezeed mnemonic under the key mnemonic (words separated"
          + " by spaces) to restore the wallet from. Absent: the operator generates a seed through"
          + " the first leader and keeps it in the Secret <name>-wallet-seed, which deleting the"
          + " cluster does not delete.")
  public SecretRef seedSecretRef;
}
