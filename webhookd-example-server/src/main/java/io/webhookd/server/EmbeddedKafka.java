package io.webhookd.server;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one process) for the quick
 * start: it listens on {@code 127.0.0.1:{port}} and keeps its log under {@code {dataDir}/kafka},
 * so topics and committed offsets survive a restart. The storage is formatted once, on the first
 * start; the cluster id is kept in {@code meta.properties} like any Kafka broker's.
 *
 * <p>This is for development and small single-machine installs; production points {@code
 * WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS} at a real cluster. Not thread-safe: start and close it from
 * one thread.
 */
final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final String CONTROLLER = "CONTROLLER";
  private static final String BROKER = "PLAINTEXT";
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private boolean closed;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  /**
   * Formats the log directory if it is new, starts the broker and waits until it answers.
   *
   * @param port the client port on 127.0.0.1; 0 picks a free one
   * @throws IllegalStateException when the broker cannot start (port taken, unreadable log dir)
   */
  static EmbeddedKafka start(Path dataDir, int port) {
    requireNonNull(dataDir, "dataDir");
    Path logDir = dataDir.resolve("kafka").toAbsolutePath();
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the Kafka log directory " + logDir, e);
    }
    int brokerPort = port == 0 ? freePort() : port;
    // The controller listener is internal to this process; with a static voter set its address
    // lives only in the configuration, so a fresh port on each start is fine.
    // A port found free is closed again before Kafka binds it, so the system may hand out the
    // broker's port a second time (seen once in CI): the two must differ.
    int controllerPort = freePort();
    while (controllerPort == brokerPort) {
      controllerPort = freePort();
    }

    Map<String, Object> props = new HashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(NODE_ID));
    props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    props.put(
        "listeners",
        BROKER + "://127.0.0.1:" + brokerPort + "," + CONTROLLER + "://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", BROKER + "://127.0.0.1:" + brokerPort);
    props.put("listener.security.protocol.map", BROKER + ":PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
    props.put("controller.listener.names", CONTROLLER);
    props.put("inter.broker.listener.name", BROKER);
    props.put("log.dirs", logDir.toString());
    props.put("metadata.log.dir", logDir.toString());
    props.put("num.partitions", "1");
    props.put("default.replication.factor", "1");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "true");
    props.put("log.cleaner.dedupe.buffer.size", "2097152");
    // a quick-start broker: keep messages a week, whatever their volume
    props.put("log.retention.hours", "168");
    KafkaConfig config = new KafkaConfig(props, false);

    format(logDir);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    String bootstrap = "127.0.0.1:" + brokerPort;
    try {
      server.startup();
    } catch (RuntimeException e) {
      shutdownQuietly(server);
      throw new IllegalStateException(
          "the embedded Kafka broker could not start on "
              + bootstrap
              + " (is the port taken? set WEBHOOKD_EMBEDDED_KAFKA_PORT or WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS): "
              + e.getMessage(),
          e);
    }
    EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap);
    try {
      kafka.awaitReady(Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
    log.info("embedded Kafka broker listening on {} (log dir {})", bootstrap, logDir);
    return kafka;
  }

  /** {@code 127.0.0.1:{port}}. */
  String bootstrapServers() {
    return bootstrapServers;
  }

  private static void format(Path logDir) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
      new Formatter()
          .setPrintStream(quiet)
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(logDir.toString())
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setControllerListenerName(CONTROLLER)
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format the Kafka log directory " + logDir + ": " + e, e);
    }
  }

  private void awaitReady(Duration timeout) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get().isEmpty()) {
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the embedded broker", e);
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "the embedded Kafka broker did not become ready within " + timeout, e);
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the embedded Kafka broker did not become ready within " + timeout);
        }
      }
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }

  private static void shutdownQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      log.debug("embedded Kafka broker shutdown after a failed start", e);
    }
  }

  /** Stops the broker, flushing its log. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("stopping the embedded Kafka broker");
    shutdownQuietly(server);
  }
}
