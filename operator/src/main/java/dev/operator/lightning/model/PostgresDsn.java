package dev.operator.lightning.model;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A PostgreSQL connection string as LND (pgx) reads it: a URL {@code
 * postgres[ql]://user:password@host:port/db?param=value} or {@code key=value} pairs. Parsed to
 * check it before it reaches lnd.conf, to probe the server the same way, and to report where the
 * data lives without the credentials. No message of this class holds the string or a part of it
 * that could be secret.
 */
public final class PostgresDsn {
  public static final int DEFAULT_PORT = 5432;
  public static final String VERIFY_FULL = "verify-full";

  /** pgx's default when the string names no sslmode: TLS if offered, unverified. */
  public static final String DEFAULT_SSL_MODE = "prefer";

  private static final Set<String> SSL_MODES =
      Set.of("disable", "allow", "prefer", "require", "verify-ca", VERIFY_FULL);

  /** Files the members do not have; the CA comes from caSecretRef instead. */
  private static final Set<String> FILE_PARAMS =
      Set.of("sslrootcert", "sslcert", "sslkey", "sslpassword", "passfile", "service");

  private final String text;
  private final boolean url;
  private final String host;
  private final int port;
  private final String database;
  private final String user;
  private final String password;
  private final Map<String, String> params;

  private PostgresDsn(
      String text,
      boolean url,
      String host,
      int port,
      String database,
      String user,
      String password,
      Map<String, String> params) {
    this.text = text;
    this.url = url;
    this.host = host;
    this.port = port;
    this.database = database;
    this.user = user;
    this.password = password;
    this.params = params;
  }

  /**
   * @throws IllegalArgumentException with a message that says what is wrong, never the value
   */
  public static PostgresDsn parse(String raw) {
    if (raw == null || raw.strip().isEmpty()) {
      throw new IllegalArgumentException("the connection string is empty");
    }
    // A trailing newline is what `kubectl create secret --from-file` of an edited file leaves.
    String text = raw.strip();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\u0085' || c == '\u2028' || c == '\u2029') {
        // A line break would let the Secret's value add lines to lnd.conf.
        throw new IllegalArgumentException(
            "the connection string holds a line break or another control character");
      }
    }
    if (text.startsWith("\"")) {
      throw new IllegalArgumentException(
          "the connection string starts with a double quote, which lnd.conf would unquote");
    }
    PostgresDsn dsn =
        text.startsWith("postgres://") || text.startsWith("postgresql://")
            ? parseUrl(text)
            : parseKeyValues(text);
    for (String p : dsn.params.keySet()) {
      if (FILE_PARAMS.contains(p)) {
        throw new IllegalArgumentException(
            "the connection string sets "
                + p
                + ", a file the members do not have; give the server's CA as"
                + " spec.database.postgres.caSecretRef and remove "
                + p);
      }
    }
    String mode = dsn.params.get("sslmode");
    if (mode != null && !SSL_MODES.contains(mode)) {
      throw new IllegalArgumentException(
          "the connection string has an unknown sslmode; use one of "
              + String.join(", ", SSL_MODES));
    }
    if (dsn.host.isEmpty() || dsn.host.startsWith("/")) {
      throw new IllegalArgumentException(
          "the connection string names no TCP host (a Unix socket is not reachable from a pod)");
    }
    if (dsn.database.isEmpty()) {
      throw new IllegalArgumentException("the connection string names no database");
    }
    if (dsn.user.isEmpty()) {
      throw new IllegalArgumentException("the connection string names no user");
    }
    return dsn;
  }

  private static PostgresDsn parseUrl(String text) {
    String rest = text.substring(text.indexOf("://") + 3);
    Map<String, String> params = new LinkedHashMap<>();
    int q = rest.indexOf('?');
    if (q >= 0) {
      for (String pair : rest.substring(q + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(
              "the connection string has a parameter without a value");
        }
        params.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
      }
      rest = rest.substring(0, q);
    }
    String path = "";
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      path = decode(rest.substring(slash + 1));
      rest = rest.substring(0, slash);
    }
    String user = "";
    String password = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String info = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int colon = info.indexOf(':');
      user = decode(colon >= 0 ? info.substring(0, colon) : info);
      password = colon >= 0 ? decode(info.substring(colon + 1)) : null;
    }
    if (rest.contains(",")) {
      throw new IllegalArgumentException(
          "the connection string names several hosts; name one (a Service in front of the"
              + " primary, such as CloudNativePG's <cluster>-rw)");
    }
    String host = rest;
    int port = DEFAULT_PORT;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0 && !rest.endsWith("]")) {
      host = rest.substring(0, colon);
      port = port(rest.substring(colon + 1));
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    user = params.getOrDefault("user", user);
    password = params.getOrDefault("password", password);
    String database = params.getOrDefault("dbname", path);
    if (params.containsKey("host")) {
      host = params.get("host");
    }
    if (params.containsKey("port")) {
      port = port(params.get("port"));
    }
    return new PostgresDsn(text, true, host, port, database, user, password, params);
  }

  private static PostgresDsn parseKeyValues(String text) {
    Map<String, String> params = new LinkedHashMap<>();
    int i = 0;
    int n = text.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int eq = text.indexOf('=', i);
      if (eq < 0) {
        throw new IllegalArgumentException(
            "the connection string is neither a postgres:// URL nor key=value pairs");
      }
      String key = text.substring(i, eq).strip();
      if (key.isEmpty() || key.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "the connection string is neither a postgres:// URL nor key=value pairs");
      }
      i = eq + 1;
      while (i < n && text.charAt(i) == ' ') {
        i++;
      }
      StringBuilder value = new StringBuilder();
      if (i < n && text.charAt(i) == '\'') {
        i++;
        boolean closed = false;
        while (i < n) {
          char c = text.charAt(i++);
          if (c == '\\' && i < n) {
            value.append(text.charAt(i++));
          } else if (c == '\'') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          throw new IllegalArgumentException("the connection string has an unclosed quote");
        }
      } else {
        while (i < n && !Character.isWhitespace(text.charAt(i))) {
          char c = text.charAt(i++);
          if (c == '\\' && i < n) {
            value.append(text.charAt(i++));
          } else {
            value.append(c);
          }
        }
      }
      params.put(key, value.toString());
    }
    String host = params.getOrDefault("host", "");
    if (host.contains(",")) {
      throw new IllegalArgumentException(
          "the connection string names several hosts; name one (a Service in front of the"
              + " primary, such as CloudNativePG's <cluster>-rw)");
    }
    int port = params.containsKey("port") ? port(params.get("port")) : DEFAULT_PORT;
    return new PostgresDsn(
        text,
        false,
        host,
        port,
        params.getOrDefault("dbname", ""),
        params.getOrDefault("user", ""),
        params.get("password"),
        params);
  }

  private static int port(String s) {
    try {
      int p = Integer.parseInt(s);
      if (p < 1 || p > 65535) {
        throw new NumberFormatException();
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the connection string has an invalid port");
    }
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the connection string has an invalid %-escape");
    }
  }

  /**
   * The string for lnd.conf: as given, plus {@code sslmode=verify-full} when the operator mounts a
   * CA for the server and the string chose no mode (pgx would otherwise not verify).
   */
  public String forLnd(boolean caMounted) {
    if (!caMounted || params.containsKey("sslmode")) {
      return text;
    }
    if (url) {
      return text + (text.contains("?") ? "&" : "?") + "sslmode=" + VERIFY_FULL;
    }
    return text + " sslmode=" + VERIFY_FULL;
  }

  /** The TLS mode LND ends up with for {@link #forLnd}. */
  public String sslMode(boolean caMounted) {
    String mode = params.get("sslmode");
    if (mode != null) {
      return mode;
    }
    return caMounted ? VERIFY_FULL : DEFAULT_SSL_MODE;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String database() {
    return database;
  }

  public String user() {
    return user;
  }

  /** May be null: the server may not ask for one. */
  public String password() {
    return password;
  }

  /** host:port/database: where the data lives, safe for the status. */
  public String endpoint() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return h + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return "PostgresDsn(" + endpoint() + ")";
  }
}
