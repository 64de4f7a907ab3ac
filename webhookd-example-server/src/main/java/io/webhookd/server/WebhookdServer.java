package io.webhookd.server;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.webhookd.Webhookd;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole server: the embedded broker (unless an external Kafka is configured), the store, the
 * engine, and the REST API, started in that order and closed in the reverse one. Start it with
 * {@link #start}; {@link #close()} is what SIGTERM runs. Not thread-safe; {@link #close()} may be
 * called from any one thread, once or more.
 */
final class WebhookdServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookdServer.class);

  private final List<AutoCloseable> closeInOrder = new ArrayList<>();
  private @Nullable RestApi api;
  private @Nullable String bootstrapServers;
  private AdminKey.@Nullable Loaded adminKey;
  private int port;
  private boolean closed;

  private WebhookdServer() {}

  /**
   * Starts everything the configuration describes.
   *
   * @param out where the first-start messages (generated admin key, addresses) are printed
   * @throws ConfigException when the clients file or another part of the configuration is bad
   */
  static WebhookdServer start(ServerConfig config, PrintStream out) {
    return start(config, out, null);
  }

  /** As {@link #start(ServerConfig, PrintStream)}, with another transport (tests). */
  static WebhookdServer start(ServerConfig config, PrintStream out, @Nullable WebhookDestination destination) {
    return start(config, out, destination, UnaryOperator.identity());
  }

  /**
   * As {@link #start(ServerConfig, PrintStream, WebhookDestination)}; {@code storeChoice} is given
   * the store the configuration names and returns the store to use (tests: another store, when
   * the configured one lacks a feature under test; it closes the one it does not use).
   */
  static WebhookdServer start(
      ServerConfig config,
      PrintStream out,
      @Nullable WebhookDestination destination,
      UnaryOperator<SubscriptionStore> storeChoice) {
    WebhookdServer s = new WebhookdServer();
    try {
      s.startAll(config, out, destination, storeChoice);
      return s;
    } catch (RuntimeException | Error e) {
      s.close();
      throw e;
    }
  }

  private void startAll(
      ServerConfig config,
      PrintStream out,
      @Nullable WebhookDestination destination,
      UnaryOperator<SubscriptionStore> storeChoice) {
    Path dataDir = config.dataDir().toAbsolutePath().normalize();
    DataDir.prepare(dataDir);
    adminKey = AdminKey.load(config.adminApiKey(), dataDir);
    AccessPolicy policy = AccessPolicy.load(adminKey.key(), config.clientsFile());
    log.info(
        "access: admin key from {}, {} client(s) from {}",
        adminKey.file() == null ? "WEBHOOKD_ADMIN_API_KEY" : adminKey.file(),
        policy.clients().size(),
        config.clientsFile() == null ? "no clients file" : config.clientsFile());

    ExecutorService checks =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "webhookd-health");
              t.setDaemon(true);
              return t;
            });
    closeInOrder.add(checks::shutdownNow);

    if (config.embeddedKafka()) {
      EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, config.embeddedKafkaPort());
      closeInOrder.add(0, kafka);
      bootstrapServers = kafka.bootstrapServers();
      out.println("webhookd: embedded Kafka broker listening on " + bootstrapServers);
    } else {
      bootstrapServers = config.kafkaBootstrapServers();
    }

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    closeInOrder.add(0, registry::close);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    closeInOrder.add(0, gc);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);

    SubscriptionStore store = storeChoice.apply(Adapters.store(config, dataDir));
    Webhookd.Builder builder =
        Webhookd.builder()
            .bootstrapServers(bootstrapServers)
            .store(store)
            .alertChannel(Adapters.alerts(config))
            .meterRegistry(registry)
            .rowFilterPolicy(policy.rowFilterPolicy());
    if (config.shareIdleReading() != null) {
      builder.shareIdleReading(config.shareIdleReading());
    }
    if (destination != null) {
      builder.destination(destination);
    } else {
      builder.destination(Adapters.destination(config));
    }
    Webhookd deliveries;
    try {
      deliveries = builder.build();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    closeInOrder.add(0, deliveries);

    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    ap.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    ap.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    ap.put(AdminClientConfig.CLIENT_ID_CONFIG, "webhookd-health");
    Admin kafkaAdmin = Admin.create(ap);
    closeInOrder.add(0, kafkaAdmin);

    RestApi.Health health =
        () -> {
          Map<String, Boolean> result = new LinkedHashMap<>();
          CompletableFuture<Boolean> k =
              CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return !kafkaAdmin
                          .describeCluster(new DescribeClusterOptions().timeoutMs(2000))
                          .nodes()
                          .get(2500, TimeUnit.MILLISECONDS)
                          .isEmpty();
                    } catch (Exception e) {
                      return false;
                    }
                  },
                  checks);
          CompletableFuture<Boolean> db =
              CompletableFuture.supplyAsync(
                  () -> {
                    store.onlineState();
                    return true;
                  },
                  checks);
          result.put("kafka", await(k));
          result.put("database", await(db));
          return result;
        };

    api =
        new RestApi(
            deliveries,
            policy,
            health,
            registry,
            registry::scrape,
            instanceId(dataDir),
            config.maxBodyBytes(),
            config.metricsApiKey(),
            store.supportsDeadLetters());
    closeInOrder.add(0, api::stop);
    // the H2 file, the broker's log and the key files exist now: owner-only, like the directory
    DataDir.restrict(dataDir);
    port = api.start(config.httpHost(), config.httpPort());
    if (adminKey.generated()) {
      out.println(
          "webhookd: generated the admin API key (shown only this once; stored in "
              + adminKey.file()
              + "):");
      out.println("  " + adminKey.key());
    }
    out.println("webhookd: REST API listening on http://" + displayHost(config.httpHost()) + ":" + port);
    out.println("webhookd: operator page at http://" + displayHost(config.httpHost()) + ":" + port + "/ui/ (sign in with an API key)");
    log.info("webhookd is ready: {}", config);
  }

  private static boolean await(CompletableFuture<Boolean> f) {
    try {
      return f.get(3, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  private static String displayHost(String host) {
    return host.equals("0.0.0.0") ? "localhost" : host;
  }

  private static String instanceId(Path dataDir) {
    Path file = dataDir.resolve("instance-id");
    try {
      if (Files.exists(file)) {
        String id = Files.readString(file, StandardCharsets.UTF_8).trim();
        UUID.fromString(id);
        return id;
      }
      String id = UUID.randomUUID().toString();
      Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + " does not hold a UUID: delete it to have a new one made");
    }
  }

  /** The routes the REST API registered, as {@code METHOD path}. */
  List<String> routes() {
    return api == null ? List.of() : api.registeredRoutes();
  }

  /** The port of the REST API. */
  int port() {
    return port;
  }

  /** The admin API key in force. */
  String adminKey() {
    return adminKey == null ? "" : adminKey.key();
  }

  /** Kafka's {@code bootstrap.servers}: the embedded broker's or the configured one. */
  String bootstrapServers() {
    return bootstrapServers == null ? "" : bootstrapServers;
  }

  /**
   * Stops taking requests, closes the engine (in-flight batches finish or stay uncommitted), then
   * the broker. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("webhookd is stopping");
    for (AutoCloseable c : closeInOrder) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("while stopping: {}", e.toString());
      }
    }
    log.info("webhookd stopped");
  }
}
