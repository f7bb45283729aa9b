package dev.operator.lightning.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real {@code lnd} binary (built with kvdb_etcd) as a local process on its own loopback
 * address, started with a given lnd.conf and extra arguments, its output kept in a log file.
 */
public final class LndProcess implements AutoCloseable {
  private final Path lndDir;
  private final String ip;
  private Process process;

  private LndProcess(Path lndDir, String ip, Process process) {
    this.lndDir = lndDir;
    this.ip = ip;
    this.process = process;
  }

  /**
   * @param dir the process's own directory: $HOME, and what lnd.conf's data paths point at
   * @param listenIp a loopback address of its own; gRPC 10009, REST 8080 and P2P 9735 bind to it
   */
  public static LndProcess start(Path dir, Path lndConf, String listenIp, List<String> extraArgs) {
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(Tools.locate().lnd("lnd").toString());
      cmd.add("--configfile=" + lndConf);
      cmd.add("--rpclisten=" + listenIp + ":10009");
      cmd.add("--restlisten=" + listenIp + ":8080");
      cmd.add("--listen=" + listenIp + ":9735");
      cmd.addAll(extraArgs);
      ProcessBuilder pb = new ProcessBuilder(cmd);
      // LND's default lnddir is $HOME/.lnd; keep whatever it writes there per process.
      pb.environment().put("HOME", dir.toString());
      Process p =
          pb.redirectErrorStream(true).redirectOutput(dir.resolve("lnd.out").toFile()).start();
      return new LndProcess(dir, listenIp, p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String ip() {
    return ip;
  }

  public Path lndDir() {
    return lndDir;
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no resign, the session lease stays until its TTL. */
  public void killHard() {
    Processes.stop(process, true);
  }

  /** SIGTERM: LND resigns its leadership and shuts down. */
  public void stopGracefully() {
    Processes.stop(process, false);
  }

  /** Everything it printed so far. */
  public String output() {
    try {
      return Files.readString(lndDir.resolve("lnd.out"));
    } catch (IOException e) {
      return "";
    }
  }

  /** The tail of its output, for failure messages. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(lndDir.resolve("lnd.out"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    killHard();
  }
}
