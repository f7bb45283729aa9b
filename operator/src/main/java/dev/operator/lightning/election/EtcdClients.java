package dev.operator.lightning.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One jetcd client per etcd cluster, shared by reference count and closed with its last user. */
public final class EtcdClients {
  private static final Logger log = LoggerFactory.getLogger(EtcdClients.class);

  /**
   * How long a connection may carry nothing before the client pings, and how long it waits for the
   * answer before it drops the connection and dials again. A connection to a member on a lost node
   * carries nothing and is never closed (a partition sends no reset): with jetcd's defaults (30 s,
   * 10 s) the operator stayed blind to the election for 40 s while a successor served unrouted.
   * gRPC does not ping more often than every 10 s, and etcd accepts pings every 5 s (its
   * --grpc-keepalive-min-time) while a call is open; the election watch keeps one open.
   */
  static final Duration KEEPALIVE_TIME = Duration.ofSeconds(10);

  static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

  private final Map<EtcdTarget, Entry> clients = new HashMap<>();

  private static final class Entry {
    final Client client;
    int users;

    Entry(Client client) {
      this.client = client;
    }
  }

  public synchronized Client acquire(EtcdTarget target) {
    Entry e = clients.get(target);
    if (e == null) {
      e = new Entry(build(target));
      clients.put(target, e);
      log.info("opened etcd client {}", target);
    }
    e.users++;
    return e.client;
  }

  public synchronized void release(EtcdTarget target) {
    Entry e = clients.get(target);
    if (e != null && --e.users == 0) {
      clients.remove(target);
      e.client.close();
      log.info("closed etcd client {}", target);
    }
  }

  /** Number of open clients to one endpoint (for tests and metrics). */
  public synchronized long open(String endpoint) {
    return clients.keySet().stream().filter(t -> t.endpoint().equals(endpoint)).count();
  }

  private static Client build(EtcdTarget t) {
    ClientBuilder b =
        Client.builder()
            .endpoints((t.tls() ? "https://" : "http://") + t.endpoint())
            .keepaliveTime(KEEPALIVE_TIME)
            .keepaliveTimeout(KEEPALIVE_TIMEOUT)
            // Only while a call is open: etcd refuses pings on an idle connection by default.
            .keepaliveWithoutCalls(false);
    if (t.user() != null) {
      b.user(bytes(t.user())).password(bytes(t.password()));
    }
    if (t.tls()) {
      try {
        b.sslContext(
            ssl -> {
              SslContextBuilder s =
                  ssl.trustManager(
                      new ByteArrayInputStream(t.caPem().getBytes(StandardCharsets.UTF_8)));
              if (t.certPem() != null) {
                s.keyManager(
                    new ByteArrayInputStream(t.certPem().getBytes(StandardCharsets.UTF_8)),
                    new ByteArrayInputStream(t.keyPem().getBytes(StandardCharsets.UTF_8)));
              }
            });
      } catch (SSLException | RuntimeException e) {
        throw new IllegalArgumentException(
            "invalid TLS material for etcd " + t + ": " + e.getMessage(), e);
      }
    }
    return b.build();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
