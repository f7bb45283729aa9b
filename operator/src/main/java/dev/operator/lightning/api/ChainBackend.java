package dev.operator.lightning.api;

/** Where LND reads the chain from; maps to LND's {@code bitcoin.node}. */
public enum ChainBackend {
  bitcoind,
  btcd,
  neutrino,
  nochainbackend
}
