package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The harness's kube-proxy, in user space (as kube-proxy's first mode was): every ClusterIP Service
 * of a namespace gets its cluster IP on the pod network's bridge and a listener per port; each new
 * connection goes to a ready endpoint of the Service's EndpointSlices (round robin), whoever wrote
 * them (the EndpointSlice controller, or the operator for the leader Service). It also publishes
 * Service names ({@code name.namespace.svc}) to {@link ClusterDns}.
 */
public final class ServiceProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceProxy.class);
  private static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final PodNetwork network;
  private final ClusterDns dns;
  private final NetworkPolicyEnforcer policies;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final Map<String, ServerSocket> listeners = new ConcurrentHashMap<>();
  private final AtomicInteger roundRobin = new AtomicInteger();
  private final ExecutorService pipes =
      Executors.newCachedThreadPool(HarnessThreads.daemon("service-proxy"));

  public ServiceProxy(
      KubernetesClient client,
      String namespace,
      PodNetwork network,
      ClusterDns dns,
      NetworkPolicyEnforcer policies) {
    this.network = network;
    this.dns = dns;
    this.policies = policies;
    this.slices = client.discovery().v1().endpointSlices().inNamespace(namespace).inform();
    this.services =
        client
            .services()
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Service s) {
                    expose(s);
                  }

                  @Override
                  public void onUpdate(Service before, Service s) {
                    expose(s);
                  }

                  @Override
                  public void onDelete(Service s, boolean unknownFinalState) {
                    withdraw(s);
                  }
                });
  }

  private synchronized void expose(Service s) {
    String ip = s.getSpec().getClusterIP();
    if (ip == null || ip.isEmpty() || "None".equals(ip)) {
      return;
    }
    network.addServiceIp(ip);
    for (ServicePort port : s.getSpec().getPorts()) {
      String key = ip + ":" + port.getPort();
      if (listeners.containsKey(key)) {
        continue;
      }
      try {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(ip), port.getPort()));
        listeners.put(key, server);
        String ns = s.getMetadata().getNamespace();
        String name = s.getMetadata().getName();
        String portName = port.getName();
        pipes.execute(() -> accept(server, ns, name, portName));
      } catch (IOException e) {
        log.warn(
            "cannot listen on {} for service {}: {}", key, s.getMetadata().getName(), e.toString());
      }
    }
    dns.putService(s.getMetadata().getNamespace(), s.getMetadata().getName(), ip);
  }

  private synchronized void withdraw(Service s) {
    dns.removeService(s.getMetadata().getNamespace(), s.getMetadata().getName());
    String ip = s.getSpec().getClusterIP();
    for (ServicePort port : s.getSpec().getPorts()) {
      ServerSocket server = listeners.remove(ip + ":" + port.getPort());
      if (server != null) {
        closeQuietly(server);
      }
    }
  }

  private void accept(ServerSocket server, String ns, String service, String portName) {
    while (!server.isClosed()) {
      Socket in;
      try {
        in = server.accept();
      } catch (IOException e) {
        return;
      }
      pipes.execute(() -> forward(in, ns, service, portName));
    }
  }

  private void forward(Socket in, String ns, String service, String portName) {
    InetSocketAddress target = pick(ns, service, portName);
    if (target == null) {
      log.debug("service {}/{} has no ready endpoint: connection refused", ns, service);
      closeQuietly(in);
      return;
    }
    String client = in.getInetAddress().getHostAddress();
    if (!policies.admits(client, target.getAddress().getHostAddress(), target.getPort())) {
      // The endpoint's NetworkPolicy drops the client's SYN once kube-proxy has rewritten it:
      // the client hears nothing until its own timeout.
      log.debug("service {}/{}: {} refused by NetworkPolicy", ns, service, client);
      try (InputStream discard = in.getInputStream()) {
        discard.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        // The client gave up.
      } finally {
        closeQuietly(in);
      }
      return;
    }
    try {
      Socket out = new Socket();
      out.connect(target, 2000);
      // No Nagle on either leg: gRPC's small frames would each wait for a delayed ACK.
      in.setTcpNoDelay(true);
      out.setTcpNoDelay(true);
      pipes.execute(() -> pipe(in, out));
      pipe(out, in);
    } catch (IOException e) {
      closeQuietly(in);
    }
  }

  /** A ready endpoint of the Service's slices, for the port with the Service port's name. */
  InetSocketAddress pick(String ns, String service, String portName) {
    List<InetSocketAddress> ready =
        slices.getStore().list().stream()
            .filter(es -> ns.equals(es.getMetadata().getNamespace()))
            .filter(
                es ->
                    es.getMetadata().getLabels() != null
                        && service.equals(es.getMetadata().getLabels().get(SERVICE_NAME_LABEL)))
            .flatMap(
                es -> {
                  Integer port =
                      es.getPorts() == null
                          ? null
                          : es.getPorts().stream()
                              .filter(
                                  p ->
                                      Objects.equals(p.getName(), portName)
                                          || es.getPorts().size() == 1)
                              .map(EndpointPort::getPort)
                              .findFirst()
                              .orElse(null);
                  if (port == null || es.getEndpoints() == null) {
                    return java.util.stream.Stream.empty();
                  }
                  return es.getEndpoints().stream()
                      .filter(ServiceProxy::ready)
                      .flatMap(e -> e.getAddresses().stream())
                      .map(a -> new InetSocketAddress(a, port));
                })
            .toList();
    if (ready.isEmpty()) {
      return null;
    }
    return ready.get(Math.floorMod(roundRobin.getAndIncrement(), ready.size()));
  }

  private static boolean ready(Endpoint e) {
    return e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
  }

  private static void pipe(Socket from, Socket to) {
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // the other side closed
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    services.close();
    slices.close();
    listeners.values().forEach(ServiceProxy::closeQuietly);
    listeners.clear();
    pipes.shutdownNow();
  }
}
