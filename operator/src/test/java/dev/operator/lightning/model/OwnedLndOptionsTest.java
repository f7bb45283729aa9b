package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LndSpec;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every spelling lnd accepts for an owned option is refused; everything else passes. */
class OwnedLndOptionsTest {

  static Stream<Arguments> configLines() {
    return Stream.of(
        // The long name with its namespace, as lnd.conf's sample writes it.
        owned("db.backend=bolt", "db.backend"),
        owned("  db.backend  =  bolt  ", "db.backend"),
        owned("alias=x\ndb.backend=bolt", "db.backend"),
        // go-flags also matches a key by the Go field name, in any section.
        owned("Backend=bolt", "db.backend"),
        owned("[db]\nBackend=bolt", "db.backend"),
        owned("[Application Options]\nDataDir=/tmp/elsewhere", "datadir"),
        // ...and by the one-letter short name.
        owned("b=/tmp/elsewhere", "datadir"),
        owned("C=/tmp/other.conf", "configfile"),
        owned("lnddir=/tmp/lnd", "lnddir"),
        owned("logdir=/tmp/logs", "logdir"),
        owned("backupfilepath=/tmp/channel.backup", "backupfilepath"),
        // A switch set with an empty value is on.
        owned("noseedbackup=", "noseedbackup"),
        owned("NoSeedBackup=true", "noseedbackup"),
        owned("wallet-unlock-password-file=/tmp/pw", "wallet-unlock-password-file"),
        owned("db.etcd.host=elsewhere:2379", "db.etcd.host"),
        owned("db.postgres.dsn=postgres://x", "db.postgres.dsn"),
        owned("db.use-native-sql=true", "db.use-native-sql"),
        owned("cluster.enable-leader-election=false", "cluster.enable-leader-election"),
        owned("cluster.id=other", "cluster.id"),
        owned("healthcheck.leader.interval=1h", "healthcheck.leader.interval"),
        owned("healthcheck.leader.attempts=0", "healthcheck.leader.attempts"),
        owned("bitcoin.mainnet=true", "bitcoin.mainnet"),
        owned("bitcoin.node=neutrino", "bitcoin.node"),
        owned("bitcoind.rpchost=attacker:8332", "bitcoind.rpchost"),
        owned("neutrino.connect=attacker:8333", "neutrino.connect"),
        owned("rpclisten=0.0.0.0:1", "rpclisten"),
        owned("restlisten=0.0.0.0:1", "restlisten"),
        owned("listen=0.0.0.0:1", "listen"),
        owned("norest=true", "norest"),
        owned("no-rest-tls=true", "no-rest-tls"),
        owned("tlsextradomain=example.org", "tlsextradomain"),
        owned("tlscertpath=/tmp/cert", "tlscertpath"),
        owned("no-macaroons=true", "no-macaroons"),
        owned("remotesigner.enable=true", "remotesigner.enable"),
        owned("version=true", "version"),
        // A section narrows the search to its group: a field name outside an owned option's
        // group cannot reach it.
        owned("Active=true", "bitcoin.active"),
        owned("[Bitcoin]\nActive=true", "bitcoin.active"),
        // Refused: in [healthcheck] a field name can reach the leader check's (go-flags takes the
        // first match, here the chain check's; refusing every match refuses at least that).
        owned("[healthcheck]\nInterval=1h", "healthcheck.leader.interval"),
        owned("[leader]\nAttempts=0", "healthcheck.leader.attempts"),
        owned(
            "[Autopilot]\nautopilot.active=true\n[Application Options]\nActive=1",
            "bitcoin.active"),
        // Go trims more white space than Java: a no-break space hides nothing.
        owned("\u00a0db.backend=bolt", "db.backend"),
        owned("[\u00a0db\u2003]\nBackend=bolt", "db.backend"),
        owned("db.backend\u0085=bolt", "db.backend"),
        // A key lnd does not know, or a group it does not have, stops lnd from starting.
        invalid("[db]\nbackend=bolt", "has no option `backend` in [db]"),
        invalid("[nosuchgroup]\nx=1", "no option group `nosuchgroup`"),
        invalid("alias=x\nno-such-option=1", "has no option `no-such-option`"),
        invalid("debuglevel = show", "list its log subsystems and exit"),
        allowed("[Autopilot]\nActive=true"),
        allowed("[chainbackend]\nInterval=1h\nAttempts=3"),
        allowed("alias=my-node"),
        allowed("color=#3399FF\n\n[protocol]\nprotocol.wumbo-channels=true"),
        allowed("bitcoin.basefee=1000\nbitcoin.timelockdelta=80"),
        allowed("healthcheck.chainbackend.interval=2m"),
        allowed("debuglevel=info\nmaxpendingchannels=5\nexternalip=203.0.113.7"),
        allowed("; db.backend=bolt\n# datadir=/tmp"),
        allowed(""),
        invalid("alias", "is not key=value"),
        invalid("[db", "malformed section header"),
        invalid("[ ]", "malformed section header"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("configLines")
  void configLinesAreCheckedInEverySpelling(String config, String option, String reason) {
    List<OwnedLndOptions.Finding> found = OwnedLndOptions.inConfig(config);
    if (reason == null) {
      assertThat(found).as("%s is the user's to set", config).isEmpty();
      return;
    }
    assertThat(found).as("findings for %s", config).isNotEmpty();
    assertThat(found).allMatch(f -> f.reason().equals(reason));
    if (reason.equals(OwnedLndOptions.INVALID)) {
      assertThat(found.get(0).message()).contains("spec.lnd.config line", option);
    } else {
      assertThat(found).extracting(OwnedLndOptions.Finding::option).contains(option);
      assertThat(found.get(0).message())
          .contains("spec.lnd.config line", "lnd option " + option, "operator owns", "remove it");
    }
  }

  static Stream<Arguments> argumentLists() {
    return Stream.of(
        ownedArgs(List.of("--db.backend=bolt"), "db.backend"),
        ownedArgs(List.of("--debuglevel=info", "--db.backend", "bolt"), "db.backend"),
        ownedArgs(List.of("--datadir=/tmp/x"), "datadir"),
        ownedArgs(List.of("-b/tmp/x"), "datadir"),
        ownedArgs(List.of("-b", "/tmp/x"), "datadir"),
        ownedArgs(List.of("-C=/tmp/x.conf"), "configfile"),
        ownedArgs(List.of("-C/tmp/x.conf"), "configfile"),
        ownedArgs(List.of("--lnddir=/tmp/lnd"), "lnddir"),
        ownedArgs(List.of("--noseedbackup"), "noseedbackup"),
        ownedArgs(List.of("--wallet-unlock-password-file=/tmp/pw"), "wallet-unlock-password-file"),
        ownedArgs(List.of("--cluster.id=other"), "cluster.id"),
        ownedArgs(List.of("--healthcheck.leader.interval=1h"), "healthcheck.leader.interval"),
        ownedArgs(List.of("--bitcoin.mainnet"), "bitcoin.mainnet"),
        ownedArgs(List.of("--tlsextraip=10.0.0.1"), "tlsextraip"),
        ownedArgs(List.of("--restlisten=0.0.0.0:1"), "restlisten"),
        ownedArgs(List.of("-V"), "version"),
        ownedArgs(List.of("-h"), "help"),
        ownedArgs(List.of("--help"), "help"),
        // Bundled switches: a switch that takes no value lets the next letter be a switch.
        ownedArgs(List.of("-Vb/tmp/x"), "version"),
        ownedArgs(List.of("--", "--db.backend=bolt"), "db.backend"),
        allowedArgs(List.of("--alias=my-node", "--debuglevel", "info")),
        allowedArgs(List.of("-dinfo")),
        allowedArgs(List.of("-d", "info")),
        // The first letter takes a value, so the rest is that value, not more switches.
        allowedArgs(List.of("-dCb")),
        // Unknown to lnd (it is case-sensitive on the command line): lnd refuses to start.
        invalidArgs(List.of("--DB.backend=bolt")),
        invalidArgs(List.of("-x")),
        invalidArgs(List.of("--debuglevel=show")),
        invalidArgs(List.of("--debuglevel", "show")),
        invalidArgs(List.of("-dshow")),
        invalidArgs(List.of("-d", "show")),
        allowedArgs(List.of("--bitcoin.basefee=1000", "--protocol.wumbo-channels")));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("argumentLists")
  void argumentsAreCheckedInEverySpelling(List<String> args, String option) {
    List<OwnedLndOptions.Finding> found = OwnedLndOptions.inArgs(args);
    if (INVALID_ARGS.equals(option)) {
      assertThat(found)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.reason()).isEqualTo(OwnedLndOptions.INVALID);
                assertThat(f.message()).containsAnyOf("would not start", "and exit");
              });
      return;
    }
    if (option == null) {
      assertThat(found).as("%s is the user's to pass", args).isEmpty();
      return;
    }
    assertThat(found).extracting(OwnedLndOptions.Finding::option).contains(option);
    assertThat(found).allMatch(f -> f.reason().equals(OwnedLndOptions.OVERRIDDEN));
    assertThat(found.get(0).message()).contains("spec.lnd.extraArgs[", "lnd option " + option);
  }

  @Test
  void everyExactRuleNamesAnOptionLndHas() {
    List<String> known = LndOptions.all().stream().map(LndOptions.Option::longName).toList();
    for (String name : OwnedLndOptions.exactRuleNames()) {
      if (!name.equals("help")) {
        assertThat(known).as("owned option %s must exist in lnd", name).contains(name);
      }
    }
  }

  @Test
  void theOptionsTheOperatorRendersAreAllOwned() {
    String conf =
        LndConfig.render(
            EffectiveSpec.of(dev.operator.lightning.it.Clusters.managed("ns", "c")),
            LndConfig.Credentials.NONE);
    for (String line : conf.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith("#")) {
        String key = line.substring(0, eq);
        assertThat(OwnedLndOptions.owner(key))
            .as("rendered option %s must be owned", key)
            .isPresent();
      }
    }
    assertThat(OwnedLndOptions.owner("cluster.id")).isPresent();
  }

  /**
   * The CRD's rules refuse at apply time what a rule can express: every owned option's long name
   * and short name, as an lnd.conf key and as an argument. They must refuse exactly the owned ones,
   * so that no valid setting is refused at apply time. (Go field names resolve by section, which a
   * regular expression cannot follow: the operator refuses those.)
   */
  @Test
  void theCrdRulesRefuseExactlyTheOwnedSpellings() {
    // The only escapes in the patterns are \t, \n, \f, \r and \\uXXXX, which a CEL string literal
    // turns into those characters and Java's regex reads as the same: Java sees what RE2 sees.
    Pattern config = Pattern.compile(LndSpec.OWNED_CONFIG_KEYS);
    Pattern longArg = Pattern.compile(LndSpec.OWNED_LONG_ARGS);
    Pattern shortArg = Pattern.compile(LndSpec.OWNED_SHORT_ARGS);
    assertThat(
            (LndSpec.OWNED_CONFIG_KEYS + LndSpec.OWNED_LONG_ARGS + LndSpec.OWNED_SHORT_ARGS)
                .replaceAll("\\\\([tnfr]|u[0-9a-f]{4})", ""))
        .doesNotContain("\\");
    assertThat(config.matcher("\u00a0db.backend\u3000=bolt").find())
        .as("Go's white space around an owned key")
        .isTrue();
    for (LndOptions.Option o : LndOptions.all()) {
      boolean owned = OwnedLndOptions.owner(o.longName()).isPresent();
      if (o.longName() != null) {
        assertThat(config.matcher("alias=x\n " + o.longName() + " = v").find())
            .as("lnd.conf key %s refused by the CRD", o.longName())
            .isEqualTo(owned);
        assertThat(longArg.matcher("--" + o.longName() + "=v").find())
            .as("argument --%s refused by the CRD", o.longName())
            .isEqualTo(owned);
        assertThat(longArg.matcher("--" + o.longName()).find()).isEqualTo(owned);
      }
      if (o.shortName() != null) {
        assertThat(shortArg.matcher("-" + o.shortName() + "x").find())
            .as("argument -%s refused by the CRD", o.shortName())
            .isEqualTo(owned);
        if (owned) {
          assertThat(config.matcher(o.shortName() + "=v").find()).isTrue();
        }
      }
    }
    assertThat(config.matcher("alias=my-node\ncolor=#3399FF").find()).isFalse();
    assertThat(longArg.matcher("--alias=db.backend").find()).isFalse();
  }

  private static Arguments owned(String config, String option) {
    return Arguments.of(config, option, OwnedLndOptions.OVERRIDDEN);
  }

  private static Arguments allowed(String config) {
    return Arguments.of(config, null, null);
  }

  private static Arguments invalid(String config, String message) {
    return Arguments.of(config, message, OwnedLndOptions.INVALID);
  }

  private static Arguments ownedArgs(List<String> args, String option) {
    return Arguments.of(args, option);
  }

  private static Arguments allowedArgs(List<String> args) {
    return Arguments.of(args, null);
  }

  private static final String INVALID_ARGS = "(invalid)";

  private static Arguments invalidArgs(List<String> args) {
    return Arguments.of(args, INVALID_ARGS);
  }

  @Test
  void aLineWithoutAKeyIsRefusedForItSetsTheFirstOptionOfItsSection() {
    for (String config : List.of("[db]\n=bolt", "[cluster]\n  =false", "[leader]\n\u00a0=1h")) {
      assertThat(OwnedLndOptions.inConfig(config))
          .as(config)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.reason()).isEqualTo(OwnedLndOptions.OVERRIDDEN);
                assertThat(f.message()).contains("without a key", "first option of its section");
              });
      assertThat(Pattern.compile(LndSpec.OWNED_CONFIG_KEYS).matcher(config).find())
          .as("refused by the CRD: %s", config)
          .isTrue();
    }
  }

  @Test
  void goTrimsWhatGoTrims() {
    assertThat(OwnedLndOptions.goTrim("\u00a0\u2007 db.backend\u3000\u0085"))
        .isEqualTo("db.backend");
    assertThat(OwnedLndOptions.goTrim("\u001c x")).as("Go keeps U+001C").isEqualTo("\u001c x");
  }
}
