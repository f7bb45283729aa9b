package dev.operator.lightning.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP proxy on 127.0.0.1 in front of one server, whose open connections can be blackholed: from
 * then on nothing they carry arrives, in either direction, and nothing is closed or reset, as when
 * the far side's node is cut off by a partition. Connections opened afterwards are forwarded
 * normally, as a Service forwards a new connection to a reachable endpoint. Only a client's own
 * keep-alive or timeouts can find out.
 */
public final class BlackholeProxy implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(HarnessThreads.daemon("blackhole-proxy"));
  private final List<Link> links = new CopyOnWriteArrayList<>();

  private static final class Link {
    final Socket client;
    final Socket server;
    volatile boolean blackholed;

    Link(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }
  }

  private BlackholeProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::accept);
  }

  /** Forwards 127.0.0.1:{@link #port()} to {@code host:port}. */
  public static BlackholeProxy to(String host, int port) {
    try {
      return new BlackholeProxy(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** How many connections were opened through the proxy so far. */
  public int connections() {
    return links.size();
  }

  /** Every connection open now goes silent both ways, and stays open. */
  public void blackholeOpenConnections() {
    links.forEach(l -> l.blackholed = true);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        upstream.connect(target, 2_000);
        Link link = new Link(client, upstream);
        links.add(link);
        threads.execute(() -> pump(link, client, upstream));
        threads.execute(() -> pump(link, upstream, client));
      } catch (IOException e) {
        // Closed, or the target refused: the client sees its connection end.
      }
    }
  }

  private static void pump(Link link, Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = from.getInputStream()) {
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        // Dropped, not refused: a partition neither delivers nor tells.
        if (!link.blackholed) {
          out.write(buf, 0, n);
          out.flush();
        }
      }
      if (!link.blackholed) {
        to.shutdownOutput();
      }
    } catch (IOException e) {
      // One side went away; the other pump ends with it.
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // Closing anyway.
    }
    for (Link l : links) {
      try {
        l.client.close();
        l.server.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
    threads.shutdownNow();
  }
}
