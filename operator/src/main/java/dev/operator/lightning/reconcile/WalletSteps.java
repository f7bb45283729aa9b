package dev.operator.lightning.reconcile;

/**
 * The wallet steps of a pass, decided from the leader's state and which of the operator's wallet
 * Secrets exist. Pure: the act step ({@link WalletSetup}) carries them out, keeping a new seed and
 * a new root key before the wallet is created with them, so neither can be lost in between.
 */
final class WalletSteps {
  private WalletSteps() {}

  /** Where the seed of a wallet to create comes from. */
  enum Seed {
    /** {@code spec.wallet.seedSecretRef}: a restore. */
    USERS,
    /** The seed kept by an earlier pass whose wallet creation did not finish. */
    KEPT,
    /** A seed LND generates, kept in a Secret before the wallet is created with it. */
    NEW
  }

  /**
   * @param leaderState the leader's LND state as read in this pass, or null
   * @param restore whether the spec names a seed to restore from
   * @param seedKept whether the operator's seed Secret exists
   * @param rootKeyKept whether the operator's macaroon root key Secret exists
   * @param adminMissing whether {@code <name>-admin} is missing
   * @param readOnlyMissing whether {@code <name>-readonly} is missing
   */
  record Facts(
      String leaderState,
      boolean restore,
      boolean seedKept,
      boolean rootKeyKept,
      boolean adminMissing,
      boolean readOnlyMissing) {}

  /**
   * @param createWallet initialise the leader's wallet with {@code seed}
   * @param newRootKey generate and keep a macaroon root key before the wallet is created
   * @param writeAdmin mint the admin macaroon into {@code <name>-admin}
   * @param writeReadOnly mint the read-only macaroon into {@code <name>-readonly}
   */
  record Plan(
      boolean createWallet,
      Seed seed,
      boolean newRootKey,
      boolean writeAdmin,
      boolean writeReadOnly) {
    static final Plan NONE = new Plan(false, null, false, false, false);
  }

  static Plan decide(Facts f) {
    if (WalletSetup.NO_WALLET.equals(f.leaderState())) {
      // A seed kept earlier is used again: a second seed would leave the first one's funds, if
      // any reached it, behind a wallet nobody has.
      Seed seed = f.restore() ? Seed.USERS : f.seedKept() ? Seed.KEPT : Seed.NEW;
      return new Plan(true, seed, !f.rootKeyKept(), true, true);
    }
    if (Leadership.isActive(f.leaderState())
        && f.rootKeyKept()
        && (f.adminMissing() || f.readOnlyMissing())) {
      // Only what is missing: a client holding the admin macaroon keeps it. Without a kept root
      // key the wallet is not the operator's (it came with the data): its macaroons neither.
      return new Plan(false, null, false, f.adminMissing(), f.readOnlyMissing());
    }
    return Plan.NONE;
  }
}
