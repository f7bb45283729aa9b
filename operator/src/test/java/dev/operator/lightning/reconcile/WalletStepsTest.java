package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.reconcile.WalletSteps.Facts;
import dev.operator.lightning.reconcile.WalletSteps.Plan;
import dev.operator.lightning.reconcile.WalletSteps.Seed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The wallet steps of a pass, on tables of the leader's state and the kept Secrets. */
class WalletStepsTest {
  private static final String NONE = WalletSetup.NO_WALLET;

  @Test
  void aNewClusterGetsANewSeedAndRootKeyBothKeptAndBothMacaroons() {
    Plan p = WalletSteps.decide(new Facts(NONE, false, false, false, true, true));
    assertThat(p).isEqualTo(new Plan(true, Seed.NEW, true, true, true));
  }

  @Test
  void aSeedKeptByACreationThatDidNotFinishIsUsedAgainNeverASecondOne() {
    Plan p = WalletSteps.decide(new Facts(NONE, false, true, true, true, true));
    assertThat(p.seed()).isEqualTo(Seed.KEPT);
    assertThat(p.newRootKey()).as("the kept root key is used again").isFalse();
    assertThat(p.createWallet()).isTrue();
  }

  @Test
  void aRestoreTakesTheUsersSeedWhateverIsKept() {
    assertThat(WalletSteps.decide(new Facts(NONE, true, false, false, true, true)).seed())
        .isEqualTo(Seed.USERS);
    assertThat(WalletSteps.decide(new Facts(NONE, true, true, true, true, true)).seed())
        .isEqualTo(Seed.USERS);
  }

  @Test
  void anActiveLeaderWithBothSecretsNeedsNothing() {
    assertThat(WalletSteps.decide(new Facts("SERVER_ACTIVE", false, true, true, false, false)))
        .isEqualTo(Plan.NONE);
  }

  @Test
  void onlyTheMissingMacaroonIsMintedAgainSoAClientsAdminMacaroonKeepsWorking() {
    assertThat(WalletSteps.decide(new Facts("RPC_ACTIVE", false, true, true, false, true)))
        .isEqualTo(new Plan(false, null, false, false, true));
    assertThat(WalletSteps.decide(new Facts("SERVER_ACTIVE", false, true, true, true, false)))
        .isEqualTo(new Plan(false, null, false, true, false));
  }

  @Test
  void withoutAKeptRootKeyTheWalletIsNotTheOperatorsAndNoMacaroonIsMinted() {
    assertThat(WalletSteps.decide(new Facts("SERVER_ACTIVE", false, false, false, true, true)))
        .isEqualTo(Plan.NONE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"WAITING_TO_START", "LOCKED", "UNLOCKED", ""})
  void aLeaderNotActiveAndWithAWalletIsLeftAlone(String state) {
    assertThat(WalletSteps.decide(new Facts(state, false, false, true, true, true)))
        .isEqualTo(Plan.NONE);
  }

  @Test
  void anUnreadLeaderIsLeftAlone() {
    assertThat(WalletSteps.decide(new Facts(null, false, false, false, true, true)))
        .isEqualTo(Plan.NONE);
  }
}
