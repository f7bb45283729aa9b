package dev.operator.lightning;

import com.sun.net.httpserver.HttpServer;
import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.election.ElectionObserver;
import dev.operator.lightning.metrics.OperatorMetrics;
import dev.operator.lightning.reconcile.ClusterReads;
import dev.operator.lightning.reconcile.ClusterReconciliation;
import dev.operator.lightning.reconcile.EventLanes;
import dev.operator.lightning.reconcile.LightningClusterReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the operator against the current kubeconfig (or the in-cluster service account).
 *
 * <p>Environment: WATCH_NAMESPACES (comma-separated; empty watches all), LEADER_ELECTION_NAMESPACE
 * (enables leader election among operator replicas through a Lease named lightning-operator in that
 * namespace), POD_NAME (identity in that election), METRICS_PORT (default 8080; /metrics,
 * /healthz), RECONCILE_THREADS (passes run at once over all clusters, default {@link
 * Settings#DEFAULT_RECONCILE_THREADS}).
 */
public final class Main {
  public static final String LEASE_NAME = "lightning-operator";
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  /** How to run one operator instance. */
  /**
   * @param leaseNamespace where the operator replicas' Lease lives; null runs without leader
   *     election (a single replica)
   * @param leaseDuration how long a vanished operator leader blocks a standby from taking over
   * @param exitOnLostLeadership exit the process when leadership is lost (production: a fresh start
   *     is the safe way to drop every cache and in-flight decision)
   * @param reconcileThreads how many passes run at once, over all clusters
   */
  public record Settings(
      Set<String> namespaces,
      String leaseNamespace,
      String identity,
      Duration leaseDuration,
      boolean exitOnLostLeadership,
      int metricsPort,
      int reconcileThreads) {
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(15);

    /**
     * A pass spends most of its time waiting (LND state reads, the API server), and every cluster
     * is passed over every {@link
     * dev.operator.lightning.reconcile.ClusterReconciliation#RESYNC_PERIOD}. JOSDK's default; every
     * figure in docs/operations.md was measured with it.
     */
    public static final int DEFAULT_RECONCILE_THREADS = 50;

    public Settings(
        Set<String> namespaces,
        String leaseNamespace,
        String identity,
        Duration leaseDuration,
        boolean exitOnLostLeadership,
        int metricsPort) {
      this(
          namespaces,
          leaseNamespace,
          identity,
          leaseDuration,
          exitOnLostLeadership,
          metricsPort,
          DEFAULT_RECONCILE_THREADS);
    }

    public Settings withReconcileThreads(int threads) {
      return new Settings(
          namespaces,
          leaseNamespace,
          identity,
          leaseDuration,
          exitOnLostLeadership,
          metricsPort,
          threads);
    }

    public static Settings forTests() {
      return new Settings(Set.of(), null, null, DEFAULT_LEASE_DURATION, false, -1);
    }
  }

  /** A running operator and what it owns; close() stops all of it. */
  public record Running(
      Operator operator,
      ElectionObserver observer,
      PrometheusMeterRegistry registry,
      HttpServer http,
      ScheduledExecutorService sweeper,
      ClusterReconciliation reconciliation)
      implements AutoCloseable {
    @Override
    public void close() {
      operator.stop();
      sweeper.shutdownNow();
      reconciliation.close();
      observer.close();
      if (http != null) {
        http.stop(0);
      }
    }
  }

  /**
   * What the API server's audit log and request logs name the operator's requests by, so that an
   * administrator can tell them from other clients' (fabric8's default names only the library).
   */
  public static final String USER_AGENT = "lightning-operator";

  public static void main(String[] args) {
    io.fabric8.kubernetes.client.Config config =
        io.fabric8.kubernetes.client.Config.autoConfigure(null);
    config.setUserAgent(USER_AGENT);
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    String ns = System.getenv("LEADER_ELECTION_NAMESPACE");
    Running running =
        start(
            client,
            new Settings(
                watchNamespaces(System.getenv("WATCH_NAMESPACES")),
                ns == null || ns.isBlank() ? null : ns,
                System.getenv("POD_NAME"),
                Settings.DEFAULT_LEASE_DURATION,
                true,
                Integer.parseInt(System.getenv().getOrDefault("METRICS_PORT", "8080")),
                reconcileThreads(System.getenv("RECONCILE_THREADS"))));
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "operator-stop"));
    log.info("lightning operator started against {}", client.getMasterUrl());
  }

  /** Builds, registers and starts the operator; the caller closes it. */
  public static Running start(KubernetesClient client, Settings settings) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OperatorMetrics metrics = new OperatorMetrics(registry);
    SimpleInboundEventSource<LightningCluster> electionEvents =
        new SimpleInboundEventSource<>("election");
    ElectionObserver observer =
        new ElectionObserver(
            key -> {
              int slash = key.indexOf('/');
              electionEvents.propagateEvent(
                  new ResourceID(key.substring(slash + 1), key.substring(0, slash)));
            },
            Clock.systemUTC());
    // Filled with the informer caches when the reconciler registers its event sources.
    ClusterReads reads = new ClusterReads(client);
    ClusterReconciliation reconciliation =
        new ClusterReconciliation(
            client,
            reads,
            observer,
            metrics,
            Clock.systemUTC(),
            settings.leaseNamespace(),
            new EventLanes(metrics::eventDropped));
    LightningClusterReconciler reconciler =
        new LightningClusterReconciler(
            reconciliation, reads, electionEvents, metrics.reconcileTimer());
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  .withConcurrentReconciliationThreads(settings.reconcileThreads())
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
              if (settings.leaseNamespace() != null) {
                Duration lease = settings.leaseDuration();
                o.withLeaderElectionConfiguration(
                    new LeaderElectionConfiguration(
                        LEASE_NAME,
                        settings.leaseNamespace(),
                        lease,
                        lease.multipliedBy(2).dividedBy(3),
                        lease.dividedBy(5),
                        settings.identity(),
                        null,
                        settings.exitOnLostLeadership()));
              }
            });
    operator.register(
        reconciler,
        o -> {
          if (!settings.namespaces().isEmpty()) {
            o.settingNamespaces(settings.namespaces());
          }
        });
    operator.start();
    ScheduledExecutorService sweeper =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("cluster-sweeper"));
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            reconciler.sweep();
          } catch (RuntimeException e) {
            log.debug("sweep failed", e);
          }
        },
        30,
        30,
        TimeUnit.SECONDS);
    return new Running(
        operator,
        observer,
        registry,
        metricsServer(settings.metricsPort(), registry),
        sweeper,
        reconciliation);
  }

  private static HttpServer metricsServer(int port, PrometheusMeterRegistry registry) {
    if (port < 0) {
      return null;
    }
    try {
      HttpServer http = HttpServer.create(new InetSocketAddress(port), 0);
      http.createContext("/metrics", ex -> respond(ex, registry.scrape()));
      http.createContext("/healthz", ex -> respond(ex, "ok"));
      http.start();
      return http;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on port " + port, e);
    }
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  static int reconcileThreads(String value) {
    if (value == null || value.isBlank()) {
      return Settings.DEFAULT_RECONCILE_THREADS;
    }
    int threads;
    try {
      threads = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("RECONCILE_THREADS must be a number, not " + value, e);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("RECONCILE_THREADS must be at least 1, not " + value);
    }
    return threads;
  }

  static Set<String> watchNamespaces(String value) {
    if (value == null || value.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(value.split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toSet());
  }
}
