package dev.operator.lightning.election;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One jetcd client per etcd cluster, shared by reference count and closed with its last user. */
public final class EtcdClients {
  private static final Logger log = LoggerFactory.getLogger(EtcdClients.class);

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
    ClientBuilder b = Client.builder().endpoints((t.tls() ? "https://" : "http://") + t.endpoint());
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
