package dev.operator.lightning.model;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The lnd options the operator owns, and the check that no user setting reaches one of them.
 *
 * <p>lnd reads lnd.conf with go-flags' INI parser and keeps the last value of a repeated option
 * within a section, so a line the user appends after the operator's wins; its command line is
 * parsed after lnd.conf and wins over it. Options that move or replace LND's state (its database,
 * its files, its wallet), break the election and its health check, or break what the operator
 * relies on (listeners, TLS, the REST state endpoint, the chain the wallet belongs to) are
 * therefore refused in {@code spec.lnd.config} and {@code spec.lnd.extraArgs}, in every spelling
 * lnd accepts: in lnd.conf a key is matched by its long name with namespace, by its Go field name
 * and by its one-letter short name, in any section (sections only narrow the search, so ignoring
 * them refuses at least what lnd would apply); on the command line by {@code --long[=value]} and by
 * {@code -s[value]}, alone or after other one-letter switches.
 */
public final class OwnedLndOptions {
  public static final String OVERRIDDEN = "OwnedOptionOverridden";
  public static final String INVALID = "InvalidLndConfig";

  /** A family of owned options and why the operator owns it, as the user is told. */
  private record Rule(String name, boolean prefix, String why) {
    boolean covers(String longName) {
      return prefix ? longName.startsWith(name) : longName.equals(name);
    }
  }

  private static final String STATE = "the operator keeps LND's state in etcd";
  private static final String FILES = "it moves LND's files away from what the operator mounts";
  private static final String ELECTION = "the operator runs the leader election";
  private static final String HEALTH =
      "the operator derives the leader health check from election.leaderSessionTtlSeconds, so a"
          + " leader cut off from etcd stops before its session can expire";
  private static final String WALLET = "the operator creates and unlocks the wallet";
  private static final String TLS =
      "the operator issues LND's certificate and keeps the admin credentials";
  private static final String NETWORK =
      "the Services, the readiness probe and the operator's state reads rely on it";
  private static final String CHAIN = "it is set from spec.network and spec.chain";
  private static final String EXITS = "it makes lnd print and exit";
  private static final String SIGNER =
      "a remote signer moves the keys out of the wallet the operator manages";

  private static final List<Rule> RULES =
      List.of(
          new Rule("db.", true, STATE),
          new Rule("cluster.", true, ELECTION),
          new Rule("healthcheck.leader.", true, HEALTH),
          new Rule("remotesigner.", true, SIGNER),
          new Rule("wallet-unlock-", true, WALLET),
          new Rule("noseedbackup", false, WALLET),
          new Rule("configfile", false, FILES),
          new Rule("lnddir", false, FILES),
          new Rule("datadir", false, FILES),
          new Rule("logdir", false, FILES),
          new Rule("backupfilepath", false, FILES),
          new Rule("tls", true, TLS),
          new Rule("letsencrypt", true, TLS),
          new Rule("no-macaroons", false, TLS),
          new Rule("adminmacaroonpath", false, TLS),
          new Rule("readonlymacaroonpath", false, TLS),
          new Rule("invoicemacaroonpath", false, TLS),
          new Rule("signrpc.signermacaroonpath", false, TLS),
          new Rule("walletrpc.walletkitmacaroonpath", false, TLS),
          new Rule("chainrpc.notifiermacaroonpath", false, TLS),
          new Rule("routerrpc.routermacaroonpath", false, TLS),
          new Rule("rpclisten", false, NETWORK),
          new Rule("restlisten", false, NETWORK),
          new Rule("listen", false, NETWORK),
          new Rule("norest", false, NETWORK),
          new Rule("no-rest-tls", false, NETWORK),
          new Rule("bitcoin.mainnet", false, CHAIN),
          new Rule("bitcoin.testnet", false, CHAIN),
          new Rule("bitcoin.testnet4", false, CHAIN),
          new Rule("bitcoin.signet", false, CHAIN),
          new Rule("bitcoin.signetchallenge", false, CHAIN),
          new Rule("bitcoin.signetseednode", false, CHAIN),
          new Rule("bitcoin.regtest", false, CHAIN),
          new Rule("bitcoin.simnet", false, CHAIN),
          new Rule("bitcoin.node", false, CHAIN),
          new Rule("bitcoin.active", false, CHAIN),
          new Rule("bitcoin.chaindir", false, CHAIN),
          // bitcoind's connection and credentials; its polling and fee-estimate tuning stays
          // the user's.
          new Rule("bitcoind.rpchost", false, CHAIN),
          new Rule("bitcoind.rpcuser", false, CHAIN),
          new Rule("bitcoind.rpcpass", false, CHAIN),
          new Rule("bitcoind.rpccookie", false, CHAIN),
          new Rule("bitcoind.zmqpubrawblock", false, CHAIN),
          new Rule("bitcoind.zmqpubrawtx", false, CHAIN),
          new Rule("bitcoind.dir", false, CHAIN),
          new Rule("bitcoind.config", false, CHAIN),
          new Rule("btcd.", true, CHAIN),
          new Rule("neutrino.connect", false, CHAIN),
          new Rule("fee.url", false, CHAIN),
          new Rule("feeurl", false, CHAIN),
          new Rule("version", false, EXITS),
          new Rule("help", false, EXITS));

  /**
   * Long names of the rules that stand for one exact option; each must exist in lnd (a test checks
   * it, so a misspelt rule cannot silently protect nothing).
   */
  static List<String> exactRuleNames() {
    return RULES.stream().filter(r -> !r.prefix()).map(Rule::name).toList();
  }

  /**
   * lnd's options and the -h/--help switch go-flags adds to every parser (it is not part of lnd's
   * config struct, so the generated list lacks it).
   */
  private static final List<LndOptions.Option> KNOWN =
      java.util.stream.Stream.concat(
              LndOptions.all().stream(),
              java.util.stream.Stream.of(
                  new LndOptions.Option("help", "h", "ShowHelp", false, "Help Options")))
          .toList();

  /** One user setting that lnd would not accept as the operator renders it. */
  public record Finding(String reason, String option, String message) {}

  private OwnedLndOptions() {}

  /** Why the operator owns this lnd option (by long name), or empty if it does not. */
  public static Optional<String> owner(String longName) {
    if (longName == null) {
      return Optional.empty();
    }
    return RULES.stream().filter(r -> r.covers(longName)).map(Rule::why).findFirst();
  }

  /**
   * Lines of {@code spec.lnd.config} that set an owned option, or that lnd would refuse to parse.
   */
  public static List<Finding> inConfig(String config) {
    List<Finding> out = new ArrayList<>();
    if (config == null) {
      return out;
    }
    String[] lines = config.split("\n", -1);
    // The operator appends the user's lines after an [Application Options] header.
    String section = ROOT_SECTION;
    for (int i = 0; i < lines.length; i++) {
      // go-flags trims each line (Go's white space, not Java's); ';' and '#' start comments, '['
      // a section.
      String line = goTrim(lines[i]);
      String where = "spec.lnd.config line " + (i + 1);
      if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[")) {
        if (!line.endsWith("]") || line.substring(1, line.length() - 1).isBlank()) {
          out.add(new Finding(INVALID, null, where + ": malformed section header `" + line + "`"));
        } else {
          section = goTrim(line.substring(1, line.length() - 1));
          if (!knownSection(section)) {
            out.add(
                new Finding(
                    INVALID,
                    null,
                    where + ": lnd has no option group `" + section + "` and would not start"));
          }
        }
        continue;
      }
      int eq = line.indexOf('=');
      if (eq < 0) {
        out.add(
            new Finding(
                INVALID,
                null,
                where + ": `" + line + "` is not key=value (a switch is written `name=true`)"));
        continue;
      }
      String key = goTrim(line.substring(0, eq));
      if (key.isEmpty()) {
        // go-flags matches an empty key against every option without an ini-name (all of lnd's)
        // and takes the first of the section: "[db]" then "=bolt" would set db.backend.
        out.add(
            new Finding(
                OVERRIDDEN,
                null,
                where
                    + ": a line without a key sets the first option of its section in lnd (in"
                    + " [db], db.backend); remove it"));
        continue;
      }
      List<LndOptions.Option> matches = iniMatches(section, key);
      if (matches.isEmpty() && knownSection(section)) {
        out.add(
            new Finding(
                INVALID,
                null,
                where
                    + ": lnd has no option `"
                    + key
                    + "` in ["
                    + section
                    + "] and would not start"));
      }
      for (LndOptions.Option o : matches) {
        owned(o, where, key).ifPresent(out::add);
        exits(o, goTrim(line.substring(eq + 1)), where).ifPresent(out::add);
      }
    }
    return out;
  }

  /**
   * Go's strings.TrimSpace: Go's white space (unicode.IsSpace) at both ends. Java's strip() keeps
   * some that Go removes (no-break spaces, U+0085), which would let " db.backend" pass here and
   * reach lnd as db.backend.
   */
  static String goTrim(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && goSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && goSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  /** Go's unicode.IsSpace, over the characters a Java String holds one char each. */
  static boolean goSpace(char c) {
    return switch (c) {
      case '\t',
          '\n',
          '\u000b',
          '\f',
          '\r',
          ' ',
          '\u0085',
          '\u00a0',
          '\u1680',
          '\u2028',
          '\u2029',
          '\u202f',
          '\u205f',
          '\u3000' ->
          true;
      default -> c >= '\u2000' && c <= '\u200a';
    };
  }

  /** Whether go-flags finds a group for a section name (case-insensitive; root and empty too). */
  private static boolean knownSection(String section) {
    if (section.isEmpty() || section.equalsIgnoreCase(ROOT_SECTION)) {
      return true;
    }
    return KNOWN.stream().anyMatch(o -> inGroup(o, section));
  }

  /** Elements of {@code spec.lnd.extraArgs} that set an owned option. */
  public static List<Finding> inArgs(List<String> args) {
    List<Finding> out = new ArrayList<>();
    if (args == null) {
      return out;
    }
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String where = "spec.lnd.extraArgs[" + i + "]";
      // Every element is checked, also after a "--" (which ends go-flags' options): refusing
      // more than lnd would apply is safe, and it keeps this check and the CRD's rule alike.
      if (arg == null || arg.equals("--")) {
        continue;
      }
      if (arg.startsWith("--") && arg.length() > 2) {
        int eq = arg.indexOf('=');
        String name = arg.substring(2, eq < 0 ? arg.length() : eq);
        boolean known = false;
        for (LndOptions.Option o : KNOWN) {
          if (name.equals(o.longName())) {
            known = true;
            owned(o, where, "--" + name).ifPresent(out::add);
            String value =
                eq >= 0 ? arg.substring(eq + 1) : i + 1 < args.size() ? args.get(i + 1) : null;
            exits(o, value, where).ifPresent(out::add);
          }
        }
        if (!known) {
          out.add(
              new Finding(
                  INVALID, null, where + ": lnd has no option --" + name + " and would not start"));
        }
      } else if (arg.startsWith("-") && arg.length() > 1) {
        // One-letter switches may be bundled; the first one that takes a value takes the rest.
        for (int c = 1; c < arg.length(); c++) {
          String letter = arg.substring(c, c + 1);
          LndOptions.Option o =
              KNOWN.stream().filter(x -> letter.equals(x.shortName())).findFirst().orElse(null);
          if (o == null) {
            out.add(
                new Finding(
                    INVALID,
                    null,
                    where + ": lnd has no option -" + letter + " and would not start"));
            break;
          }
          owned(o, where, "-" + letter).ifPresent(out::add);
          if (o.takesValue()) {
            String rest = arg.substring(c + 1);
            String value =
                !rest.isEmpty()
                    ? (rest.startsWith("=") ? rest.substring(1) : rest)
                    : i + 1 < args.size() ? args.get(i + 1) : null;
            exits(o, value, where).ifPresent(out::add);
            break;
          }
        }
      }
    }
    return out;
  }

  /**
   * {@code debuglevel=show} makes lnd print its log subsystems and exit: every member would stop at
   * once and restart forever.
   */
  private static Optional<Finding> exits(LndOptions.Option o, String value, String where) {
    if ("debuglevel".equals(o.longName()) && value != null && value.strip().equals("show")) {
      return Optional.of(
          new Finding(
              INVALID,
              o.longName(),
              where + ": debuglevel=show makes lnd list its log subsystems and exit"));
    }
    return Optional.empty();
  }

  /**
   * The options an lnd.conf key can stand for in a section: by long name, Go field name or short
   * name, among the options of every group the section can name. go-flags takes the first group
   * with that name (case-insensitive) and searches it with its subgroups; the root section searches
   * everything. Taking every group of that name, and every match rather than the first, refuses at
   * least what lnd would apply.
   */
  static List<LndOptions.Option> iniMatches(String section, String key) {
    boolean root = section.isEmpty() || section.equalsIgnoreCase(ROOT_SECTION);
    Set<LndOptions.Option> found = new LinkedHashSet<>();
    for (LndOptions.Option o : KNOWN) {
      if (!root && !inGroup(o, section)) {
        continue;
      }
      if (key.equals(o.longName()) || key.equals(o.field()) || key.equals(o.shortName())) {
        found.add(o);
      }
    }
    return List.copyOf(found);
  }

  private static boolean inGroup(LndOptions.Option o, String section) {
    for (String g : o.group().split("/")) {
      if (g.equalsIgnoreCase(section)) {
        return true;
      }
    }
    return false;
  }

  /** The section of lnd's top-level options (go-flags' default group name). */
  static final String ROOT_SECTION = "Application Options";

  private static Optional<Finding> owned(LndOptions.Option o, String where, String spelling) {
    return owner(o.longName())
        .map(
            why ->
                new Finding(
                    OVERRIDDEN,
                    o.longName(),
                    where
                        + ": `"
                        + spelling
                        + "` sets lnd option "
                        + o.longName()
                        + ", which the operator owns ("
                        + why
                        + "); remove it"));
  }
}
