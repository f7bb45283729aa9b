package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/**
 * Pass-through LND settings for everything the operator does not model. Options the operator owns
 * (see OwnedLndOptions) are refused here at apply time where a rule can see them (long and short
 * names), and by the operator in every other spelling lnd accepts (Go field names, per section).
 */
public class LndSpec {
  /**
   * The long names of the owned lnd options, as regular-expression alternatives (RE2 and Java read
   * them alike). A test checks that they match exactly the owned options of the pinned lnd.
   */
  static final String OWNED_NAMES =
      ""
          + "db[.][^ \\t=]*|cluster[.][^ \\t=]*|healthcheck[.]leader[.][^ \\t=]*|"
          + "remotesigner[.][^ \\t=]*|wallet-unlock-[^ \\t=]*|noseedbackup|"
          + "configfile|lnddir|datadir|logdir|backupfilepath|tls[^ \\t=]*|"
          + "letsencrypt[^ \\t=]*|no-macaroons|adminmacaroonpath|"
          + "readonlymacaroonpath|invoicemacaroonpath|rpclisten|restlisten|listen|"
          + "norest|no-rest-tls|signrpc[.]signermacaroonpath|walletrpc[.]walletkitmacaroonpath|"
          + "chainrpc[.]notifiermacaroonpath|routerrpc[.]routermacaroonpath|"
          + "bitcoin[.]mainnet|bitcoin[.]testnet|"
          + "bitcoin[.]testnet4|bitcoin[.]signet|bitcoin[.]signetchallenge|"
          + "bitcoin[.]signetseednode|bitcoin[.]regtest|bitcoin[.]simnet|"
          + "bitcoin[.]node|bitcoin[.]active|bitcoin[.]chaindir|bitcoind[.]rpchost|"
          + "bitcoind[.]rpcuser|bitcoind[.]rpcpass|bitcoind[.]rpccookie|"
          + "bitcoind[.]zmqpubrawblock|bitcoind[.]zmqpubrawtx|bitcoind[.]dir|"
          + "bitcoind[.]config|btcd[.][^ \\t=]*|neutrino[.]connect|fee[.]url|feeurl|"
          + "version|help";

  /**
   * Go's white space (unicode.IsSpace), which go-flags trims around keys. The escapes are the ones
   * a CEL string literal and Java's regular expressions read alike.
   */
  static final String GO_SPACE =
      "[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f"
          + "\\u205f\\u3000]";

  /**
   * An lnd.conf line whose key is an owned long name, one of lnd's owned short names, or empty
   * (go-flags gives an empty key the first option of its section: in [db], db.backend).
   */
  public static final String OWNED_CONFIG_KEYS =
      "(?m)^" + GO_SPACE + "*(" + OWNED_NAMES + "|C|b|V|h)?" + GO_SPACE + "*=";

  /** A command-line argument {@code --name} or {@code --name=value} of an owned option. */
  public static final String OWNED_LONG_ARGS = "^--(" + OWNED_NAMES + ")(=|$)";

  /**
   * A one-letter argument that starts with an owned switch: -C (configfile), -b (datadir), -V, -h.
   */
  public static final String OWNED_SHORT_ARGS = "^-[CbVh]";

  @Size(max = 65536)
  @ValidationRule(
      value = "!self.matches('" + OWNED_CONFIG_KEYS + "')",
      message =
          "spec.lnd.config must not set options the operator owns, nor hold a line without a"
              + " key: db.*, cluster.*,"
              + " healthcheck.leader.*, wallet-unlock-*, noseedbackup, configfile, lnddir, datadir,"
              + " logdir, backupfilepath, TLS, macaroon paths, listeners, norest, the network and"
              + " chain backend (bitcoin.<network>, bitcoin.node, bitcoind/btcd connection,"
              + " neutrino.connect, fee.url) and remotesigner.* (see docs/security.md)")
  @JsonPropertyDescription(
      "Extra lnd.conf lines appended after the operator's own (for example alias=..., or a"
          + " [protocol] section). Options the operator owns are refused: db.*, cluster.*,"
          + " healthcheck.leader.*, wallet-unlock-*, noseedbackup, configfile, lnddir, datadir,"
          + " logdir, backupfilepath, TLS and macaroon paths, listeners, norest, the network and"
          + " chain backend connection, remotesigner.*; in lnd.conf lnd would let them override"
          + " the operator's. At most 64 KiB.")
  public String config;

  @Size(max = 64)
  @ValidationRule(
      value =
          "self.all(a, !a.matches('"
              + OWNED_LONG_ARGS
              + "') && !a.matches('"
              + OWNED_SHORT_ARGS
              + "'))",
      message =
          "spec.lnd.extraArgs must not set options the operator owns (the same as in"
              + " spec.lnd.config, as --name, --name=value, -C, -b, -V or -h)")
  @JsonPropertyDescription(
      "Extra LND command-line arguments, parsed after lnd.conf. Never put secrets here:"
          + " arguments are visible in the pod spec. Options the operator owns are refused, as"
          + " in config.")
  public List<@Size(max = 1024) String> extraArgs;
}
