package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The secret scan finds what it looks for: a test that could never fail would prove nothing. */
class SecretScanIT {
  @Test
  void aSecretValueThatReachesTheLogFailsTheScan() {
    var client = ApiServerSupport.client();
    String ns = ApiServerSupport.newNamespace("scan");
    client
        .resource(
            LightningClusterReconcilerIT.secret(
                ns,
                "seed",
                Map.of(
                    "password", "a-wallet-password-of-the-run",
                    "mnemonic", "abandon ability able about above absent")))
        .create();
    try (SecretScan scan = new SecretScan()) {
      LoggerFactory.getLogger("dev.operator.lightning.reconcile.Careless")
          .info("unlocking with {}", "a-wallet-password-of-the-run");
      assertThatThrownBy(() -> scan.assertNoSecretIn(client, ns))
          .hasMessageContaining("seed/password");
    }
    try (SecretScan scan = new SecretScan()) {
      LoggerFactory.getLogger("dev.operator.lightning.reconcile.Careless")
          .info("seed starts with ability able ...");
      assertThatThrownBy(() -> scan.assertNoSecretIn(client, ns))
          .hasMessageContaining("seed/mnemonic");
    }
  }
}
