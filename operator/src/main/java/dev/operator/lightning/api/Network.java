package dev.operator.lightning.api;

/** Bitcoin networks LND can run on; each maps to LND's {@code bitcoin.<network>=true}. */
public enum Network {
  mainnet,
  testnet,
  testnet4,
  signet,
  regtest,
  simnet
}
