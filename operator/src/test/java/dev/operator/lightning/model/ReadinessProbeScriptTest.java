package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.pki.CertificateAuthority;
import dev.operator.lightning.pki.FakeLndRest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs the member readiness probe's shell script, with the real sh, GNU wget and jq, against an
 * HTTPS /v1/state on 127.0.0.1:8080 that answers as LND does. Only the certificate's mount path is
 * pointed at a temporary file.
 */
class ReadinessProbeScriptTest {
  private FakeLndRest server;
  private Path tlsDir;

  @BeforeEach
  void serve() throws Exception {
    server =
        new FakeLndRest(
            CertificateAuthority.generate("probe"),
            "127.0.0.1",
            MemberPaths.REST_PORT,
            List.of("localhost"),
            List.of("127.0.0.1"));
    tlsDir = Files.createTempDirectory("lnd-tls");
    Files.writeString(tlsDir.resolve("tls.crt"), server.certificatePem());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @ParameterizedTest(name = "{0} -> exit {1}")
  @CsvSource({
    "'{\"state\":\"SERVER_ACTIVE\"}', 0",
    "'{\"state\":\"RPC_ACTIVE\"}', 0",
    "'{\"state\":\"WAITING_TO_START\"}', 1",
    "'{\"state\":\"LOCKED\"}', 1",
    "'{\"state\":\"NON_EXISTING\"}', 1",
    "'{\"State\":\"SERVER_ACTIVE\"}', 1",
    "'not json', 1"
  })
  void readyOnlyWhileActive(String answer, int exit) throws Exception {
    server.answer(answer);
    assertThat(probe()).as("probe exit code for %s", answer).isEqualTo(exit);
  }

  private int probe() throws Exception {
    String script = ReadinessProbe.SCRIPT.replace(MemberPaths.LND_TLS_DIR, tlsDir.toString());
    Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }
}
