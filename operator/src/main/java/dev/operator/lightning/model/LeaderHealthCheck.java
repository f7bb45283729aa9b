package dev.operator.lightning.model;

/**
 * LND's leader health check ({@code healthcheck.leader.*}), derived from the session TTL so that a
 * leader cut off from etcd stops serving its peers before its session can expire and a successor
 * can be elected.
 *
 * <p>lnd has no write fencing: a deposed leader stops only through this check. The check runs every
 * {@code interval}; each attempt may take up to {@code timeout}; after {@code attempts} failed
 * attempts, {@code backoff} apart, lnd shuts down. So a leader cut off at time 0 serves no peer by
 * {@code interval + attempts * timeout + (attempts - 1) * backoff + shutdown}. Its session lease,
 * on the other hand, can expire as early as {@code 2/3 * TTL} after the cut: etcd's client renews
 * it every {@code TTL/3}, so at the moment of the cut the last renewal may be that old. The
 * operator therefore keeps
 *
 * <pre>
 * interval + attempts * timeout + (attempts - 1) * backoff + SHUTDOWN_MARGIN <= floor(2/3 * TTL)
 * </pre>
 *
 * with the interval as long as that allows, up to {@link #MAX_INTERVAL_SECONDS}.
 *
 * @param intervalSeconds how often the leader checks that it still holds the election
 * @param timeoutSeconds how long one check may take
 * @param attempts failed checks in a row before lnd shuts down
 * @param backoffSeconds pause between two failed checks
 */
public record LeaderHealthCheck(
    int intervalSeconds, int timeoutSeconds, int attempts, int backoffSeconds) {

  /** One check is one etcd read; a healthy etcd answers in milliseconds. */
  public static final int TIMEOUT_SECONDS = 2;

  /** Two attempts ride out one slow read (an etcd leader change) without a needless failover. */
  public static final int ATTEMPTS = 2;

  public static final int BACKOFF_SECONDS = 1;

  /**
   * Time allowed from lnd's failed check until it serves no peer. lnd's shutdown stops its
   * connection manager and peers first (measured with the real lnd cut off from etcd: its P2P
   * listener closed within about a second of the failed check), then spends tens of seconds on
   * subsystems waiting for the unreachable etcd and on a 5 s resign timeout while its REST server
   * still reports SERVER_ACTIVE; that last part serves nothing (authenticated calls need the
   * database, and no peer is left), and the operator's fencing ends it. The margin leaves room for
   * a loaded node.
   */
  public static final int SHUTDOWN_MARGIN_SECONDS = 10;

  /** lnd's own clustered itest checks every 10 s; more often buys nothing the TTL needs. */
  public static final int MAX_INTERVAL_SECONDS = 10;

  public static final int MIN_INTERVAL_SECONDS = 1;

  /** The shortest TTL the formula can serve; the CRD refuses shorter ones at apply time. */
  public static final int MIN_TTL_SECONDS = minTtl();

  /** The check for a session TTL; throws if the TTL is below {@link #MIN_TTL_SECONDS}. */
  public static LeaderHealthCheck forTtl(int ttlSeconds) {
    int interval = Math.min(MAX_INTERVAL_SECONDS, budget(ttlSeconds));
    if (interval < MIN_INTERVAL_SECONDS) {
      throw new IllegalArgumentException(
          "a session TTL of "
              + ttlSeconds
              + " s is too short for the leader health check; the minimum is "
              + MIN_TTL_SECONDS
              + " s");
    }
    return new LeaderHealthCheck(interval, TIMEOUT_SECONDS, ATTEMPTS, BACKOFF_SECONDS);
  }

  /** The latest a leader cut off from etcd has stopped serving, in seconds after the cut. */
  public int worstCaseStopSeconds() {
    return intervalSeconds
        + attempts * timeoutSeconds
        + (attempts - 1) * backoffSeconds
        + SHUTDOWN_MARGIN_SECONDS;
  }

  /** The earliest the leader's session can expire after it was cut off, in whole seconds. */
  public static int earliestExpirySeconds(int ttlSeconds) {
    return ttlSeconds * 2 / 3;
  }

  private static int budget(int ttlSeconds) {
    return earliestExpirySeconds(ttlSeconds)
        - ATTEMPTS * TIMEOUT_SECONDS
        - (ATTEMPTS - 1) * BACKOFF_SECONDS
        - SHUTDOWN_MARGIN_SECONDS;
  }

  private static int minTtl() {
    int ttl = 1;
    while (budget(ttl) < MIN_INTERVAL_SECONDS) {
      ttl++;
    }
    return ttl;
  }
}
