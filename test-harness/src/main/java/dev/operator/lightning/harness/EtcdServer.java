package dev.operator.lightning.harness;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A real single-member etcd (the binary scripts/tools.sh built) on loopback, plain HTTP, with the
 * seed document's limits. It can be stopped and started again on the same port and data, to break
 * every client's connection.
 */
public final class EtcdServer implements AutoCloseable {
  private final Path binary;
  private final Path dataDir;
  private final int clientPort;
  private final int peerPort;
  private Process process;

  private EtcdServer(Path binary, int clientPort) {
    this.binary = binary;
    try {
      this.dataDir = Files.createTempDirectory("lnc-etcd");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.clientPort = clientPort > 0 ? clientPort : freePort();
    this.peerPort = freePort();
  }

  public static EtcdServer start() {
    return start(0);
  }

  /** On a given client port (0: any free one). */
  public static EtcdServer start(int clientPort) {
    EtcdServer s = new EtcdServer(Tools.locate().binary("etcd"), clientPort);
    s.startProcess();
    return s;
  }

  /** host:port for clients. */
  public String endpoint() {
    return "127.0.0.1:" + clientPort;
  }

  public String url() {
    return "http://" + endpoint();
  }

  public int clientPort() {
    return clientPort;
  }

  /** Kills etcd (SIGKILL): every client connection breaks. */
  public void kill() {
    Processes.stop(process, true);
    process = null;
  }

  /**
   * Freezes etcd (SIGSTOP): connections stay open but nothing is answered, as when its node stalls;
   * {@link #resume} lets it go on where it stopped.
   */
  public void pause() {
    signal("-STOP");
  }

  public void resume() {
    signal("-CONT");
  }

  private void signal(String sig) {
    var r =
        LocalCommand.run(
            List.of("kill", sig, Long.toString(process.pid())), null, Duration.ofSeconds(5));
    if (r.exitCode() != 0) {
      throw new IllegalStateException("kill " + sig + " etcd: " + r.output());
    }
  }

  /** Starts etcd again on the same port and data. */
  public void restart() {
    kill();
    startProcess();
  }

  private void startProcess() {
    try {
      process =
          new ProcessBuilder(
                  List.of(
                      binary.toString(),
                      "--name=harness",
                      "--data-dir=" + dataDir.resolve("data"),
                      "--listen-client-urls=" + url(),
                      "--advertise-client-urls=" + url(),
                      "--listen-peer-urls=http://127.0.0.1:" + peerPort,
                      "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
                      "--initial-cluster=harness=http://127.0.0.1:" + peerPort,
                      "--max-txn-ops=16384",
                      "--max-request-bytes=104857600",
                      "--log-level=error"))
              .redirectErrorStream(true)
              .redirectOutput(new File(dataDir.resolve("etcd.log").toString()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (Instant.now().isBefore(deadline)) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
        return;
      } catch (IOException e) {
        if (!process.isAlive()) {
          throw new IllegalStateException("etcd exited; see " + dataDir.resolve("etcd.log"));
        }
        try {
          Thread.sleep(50); // polling a port that is not open yet
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    throw new IllegalStateException("etcd did not listen on " + endpoint() + " within 30 s");
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    kill();
  }
}
