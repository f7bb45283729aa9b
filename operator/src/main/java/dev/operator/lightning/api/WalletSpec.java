package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How every new leader unlocks the shared wallet. */
@io.fabric8.generator.annotation.ValidationRule(
    value = "!has(self.channelBackupSecretRef) || has(self.seedSecretRef)",
    message =
        "wallet.channelBackupSecretRef needs wallet.seedSecretRef: a channel backup restores only"
            + " with the seed of the wallet that made it")
public class WalletSpec {
  public static final String DEFAULT_PASSWORD_KEY = "password";
  public static final String MNEMONIC_KEY = "mnemonic";
  public static final String CHANNEL_BACKUP_KEY = "channel.backup";

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

  @JsonPropertyDescription(
      "Secret key holding a multi-channel backup (key defaults to channel.backup, as in the"
          + " Secret <name>-channel-backup the operator keeps) to restore with seedSecretRef: the"
          + " new wallet asks each channel's peer to force-close it and sweeps the funds back. Only"
          + " read when the wallet is created.")
  public SecretKeyRef channelBackupSecretRef;
}
