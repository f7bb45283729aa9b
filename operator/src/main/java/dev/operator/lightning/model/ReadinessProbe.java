package dev.operator.lightning.model;

import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;

/**
 * Ready only while LND's /v1/state says RPC_ACTIVE or SERVER_ACTIVE. /v1/state answers HTTP 200 in
 * every state, so an httpGet probe cannot tell a follower (WAITING_TO_START) from the leader; the
 * exec probe parses the lower-case {@code state} field (the seed document's {@code .State} does not
 * exist). The official image has sh, GNU wget and jq, but no curl.
 */
public final class ReadinessProbe {
  public static final int PERIOD_SECONDS = 1;
  public static final int TIMEOUT_SECONDS = 2;
  public static final int FAILURE_THRESHOLD = 2;

  public static final String SCRIPT =
      "state=$(wget -q -T "
          + TIMEOUT_SECONDS
          + " -O - --ca-certificate="
          + MemberPaths.LND_TLS_DIR
          + "/tls.crt https://127.0.0.1:"
          + MemberPaths.REST_PORT
          + "/v1/state | jq -r .state); "
          + "case \"$state\" in RPC_ACTIVE|SERVER_ACTIVE) exit 0;; *) exit 1;; esac";

  private ReadinessProbe() {}

  public static Probe build() {
    return new ProbeBuilder()
        .withNewExec()
        .withCommand("/bin/sh", "-c", SCRIPT)
        .endExec()
        .withPeriodSeconds(PERIOD_SECONDS)
        .withTimeoutSeconds(TIMEOUT_SECONDS + 1)
        .withFailureThreshold(FAILURE_THRESHOLD)
        .withSuccessThreshold(1)
        .build();
  }
}
