package io.webhookd.testkit;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import io.webhookd.testkit.internal.ContainerKafka;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.BrokerState;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka cluster for tests: KRaft brokers started in this JVM with Kafka's own test kit (no
 * Docker), or, when the environment variable {@value #EXTERNAL_BOOTSTRAP_ENV} is set, an external
 * cluster at that address, or ({@link #startContainer()}) one Kafka node in a Docker container
 * with Testcontainers.
 *
 * <p>In-process clusters have one KRaft controller and {@code brokers} brokers (ids {@code 0 ..
 * brokers-1}); a one-broker cluster runs broker and controller in one combined node. Internal
 * topics are replicated {@code min(brokers, 3)} times, brokers are fenced two seconds after they
 * stop heart-beating, and consumer groups (both protocols) rebalance without an initial delay.
 *
 * <p>Scaling the cluster: Kafka's test kit cannot add a node to a running cluster, so a cluster
 * that is to grow is started with spare brokers ({@link #start(int, int)}), which are stopped
 * before the cluster is handed out and hold no partition until {@link #startBroker(int)} brings
 * one back and {@link #moveReplicasOnto(int, Collection)} moves partitions onto it. A broker is
 * taken out by moving every replica off it ({@link #moveReplicasOff(int)}) and then stopping it.
 * Both moves use Kafka's own reassignment API ({@link #reassignPartitions(Map)}).
 *
 * <p>Most tests should not start their own cluster: use {@link WithKafka} (or {@link
 * KafkaExtension#shared(int)}), which starts one cluster per broker count per JVM. A shared
 * cluster is used by many test classes, so tests create topics with unique names and never
 * {@link #close()} it. A test that calls {@link #stopBroker(int)} must restart the broker with
 * {@link #startBroker(int)} (in a {@code finally} block) and should use a three-broker cluster.
 *
 * <p>Logging: the in-process brokers log through SLF4J, like the clients. So that they do not
 * flood test output, loading this class sets the slf4j-simple levels of the {@code
 * org.apache.kafka}, {@code kafka} and {@code state.change.logger} loggers to {@code warn}
 * (system properties {@code org.slf4j.simpleLogger.log.*}, unless already set), and slf4j-simple
 * writes to standard error, not standard out. To see what the brokers say, run the tests with
 * {@code -D}{@value #LOG_LEVEL_PROPERTY}{@code =info} (or {@code debug}). With another SLF4J
 * binding (Logback, Log4j 2), set the levels of those loggers in its configuration.
 *
 * <p>Thread-safe.
 */
public final class KafkaCluster implements AutoCloseable {

  /** When set, {@link #start(int)} connects to this external cluster instead of starting one. */
  public static final String EXTERNAL_BOOTSTRAP_ENV = "WEBHOOKD_TEST_KAFKA_BOOTSTRAP";

  /**
   * The system property that sets the level of the brokers' (and clients') loggers under
   * slf4j-simple: {@code warn} unless set; {@code info} or {@code debug} to see what they say.
   */
  public static final String LOG_LEVEL_PROPERTY = "webhookd.testkit.kafkaLogLevel";

  /**
   * The system property that chooses the broker of {@link WithKafka} (and {@link
   * KafkaExtension#shared(int)}) when the annotation does not: {@code in-process} (the default) or
   * {@code testcontainers} (one-broker clusters only; see {@link WithKafka.Broker#TESTCONTAINERS}).
   */
  public static final String BROKER_PROPERTY = "webhookd.testkit.kafka";

  /**
   * The system property that names the Docker image of {@link #startContainer()}; default {@code
   * apache/kafka:} and the version of the Kafka jars on the class path.
   */
  public static final String IMAGE_PROPERTY = "webhookd.testkit.kafkaImage";

  private static final Duration WAIT = Duration.ofSeconds(60);

  /**
   * How long {@link #produce} waits for every record to be acknowledged: the producer's delivery
   * timeout, after which the producer itself fails a record that is still unacknowledged.
   */
  static final Duration PRODUCE_TIMEOUT = Duration.ofMinutes(3);

  static {
    String level = System.getProperty(LOG_LEVEL_PROPERTY, "warn");
    for (String logger : List.of("org.apache.kafka", "kafka", "state.change.logger")) {
      String key = "org.slf4j.simpleLogger.log." + logger;
      if (System.getProperty(key) == null) {
        System.setProperty(key, level);
      }
    }
  }

  /**
   * How long {@link #reassignPartitions} waits for Kafka to finish the moves: the new replicas
   * copy every record of their partitions first.
   */
  static final Duration REASSIGN_TIMEOUT = Duration.ofMinutes(3);

  private static final Comparator<TopicPartition> PARTITION_ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private final @Nullable KafkaClusterTestKit kit;
  /** The Docker container of {@link #startContainer()}, else null. */
  private final @Nullable AutoCloseable container;
  private final String bootstrapServers;
  private final Admin admin;
  /** Of the topics {@link #createTopic} makes; 0 for an external cluster (from its broker count). */
  private final int replicationFactor;
  private final Set<Integer> stoppedBrokers = new HashSet<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private @Nullable KafkaProducer<String, byte[]> sharedProducer;

  private KafkaCluster(@Nullable KafkaClusterTestKit kit, String bootstrapServers, int replicationFactor) {
    this(kit, null, bootstrapServers, replicationFactor);
  }

  private KafkaCluster(
      @Nullable KafkaClusterTestKit kit, @Nullable AutoCloseable container, String bootstrapServers, int replicationFactor) {
    this.kit = kit;
    this.container = container;
    this.bootstrapServers = bootstrapServers;
    this.replicationFactor = replicationFactor;
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "webhookd-test-kit-admin");
    this.admin = Admin.create(props);
  }

  /**
   * Starts an in-process cluster of {@code brokers} brokers and waits until every broker is ready;
   * or, when {@value #EXTERNAL_BOOTSTRAP_ENV} is set, returns a handle on that external cluster
   * (then {@code brokers} is ignored and {@link #stopBroker}/{@link #startBroker} are unsupported).
   *
   * @param brokers how many brokers, 1 to 9
   * @throws IllegalArgumentException when {@code brokers} is out of range
   * @throws IllegalStateException when the cluster does not start
   */
  public static KafkaCluster start(int brokers) {
    if (brokers < 1 || brokers > 9) {
      throw new IllegalArgumentException("brokers must be between 1 and 9, was " + brokers);
    }
    String external = System.getenv(EXTERNAL_BOOTSTRAP_ENV);
    if (external != null && !external.isBlank()) {
      KafkaCluster cluster = new KafkaCluster(null, external.trim(), 0);
      cluster.waitUntil(
          "external Kafka cluster at " + external + " to answer", WAIT, cluster::answers);
      return cluster;
    }
    return startInProcess(brokers, 0);
  }

  /**
   * Starts one Kafka node in a Docker container with Testcontainers ({@code KafkaContainer}), the
   * image of {@value #IMAGE_PROPERTY} or {@code apache/kafka:<the Kafka version on the class
   * path>}, and waits until it answers. {@link #stopBroker}/{@link #startBroker} are unsupported;
   * {@link #close()} removes the container. Needs {@code org.testcontainers:testcontainers-kafka}
   * on the test class path (the kit has it as an optional dependency) and a Docker engine.
   *
   * @throws IllegalStateException when Testcontainers is not on the class path, when it finds no
   *     Docker, or when the container does not start; the message says which
   */
  public static KafkaCluster startContainer() {
    try {
      Class.forName("org.testcontainers.kafka.KafkaContainer", false, KafkaCluster.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(
          "the Testcontainers broker needs org.testcontainers:testcontainers-kafka on the test class path"
              + " (add it with test scope; webhookd-bom and Spring Boot manage its version)",
          e);
    }
    if (!ContainerKafka.dockerAvailable()) {
      throw new IllegalStateException(
          "the Testcontainers broker needs Docker, and Testcontainers found no Docker environment"
              + " (see its log above); the in-process broker needs none: leave "
              + BROKER_PROPERTY
              + " unset and @WithKafka's broker at its default");
    }
    String image = System.getProperty(IMAGE_PROPERTY);
    if (image == null || image.isBlank()) {
      image = "apache/kafka:" + AppInfoParser.getVersion();
    }
    ContainerKafka c;
    try {
      c = ContainerKafka.start(image);
    } catch (RuntimeException e) {
      throw new IllegalStateException("could not start a Kafka container of " + image + ": " + e.getMessage(), e);
    }
    KafkaCluster cluster = new KafkaCluster(null, c, c.bootstrapServers(), 0);
    cluster.waitUntil("the Kafka container at " + c.bootstrapServers() + " to answer", WAIT, cluster::answers);
    return cluster;
  }

  /**
   * Starts an in-process cluster of {@code brokers} brokers and {@code spareBrokers} spare ones,
   * for a test that adds a broker to the running cluster (Kafka's test kit cannot add a node once
   * the cluster runs). The spares get the ids after the brokers' ({@code brokers ..
   * brokers+spareBrokers-1}); they start with the cluster, register with the controller, and are
   * then stopped (a controlled shutdown, as {@link #stopBroker(int)}) before this method returns,
   * so that clients see {@code brokers} brokers and no partition (internal topics included) is
   * placed on a spare. {@link #startBroker(int)} adds a spare to the cluster; {@link
   * #moveReplicasOnto(int, Collection)} then gives it partitions. Topics and internal topics are
   * replicated {@code min(brokers, 3)} times (spares not counted). {@link #brokerIds()} includes
   * the spares, {@link #stoppedBrokers()} the spares not started yet.
   *
   * <p>Never shared by {@link WithKafka}: the caller closes it.
   *
   * @param brokers how many brokers run from the start, at least 1
   * @param spareBrokers how many stopped brokers to have in reserve, at least 0; {@code brokers +
   *     spareBrokers} at most 9
   * @throws IllegalArgumentException when a count is out of range (naming every one that is)
   * @throws UnsupportedOperationException with {@code spareBrokers > 0} when {@value
   *     #EXTERNAL_BOOTSTRAP_ENV} is set (an external cluster has no spares to start)
   * @throws IllegalStateException when the cluster does not start
   */
  public static KafkaCluster start(int brokers, int spareBrokers) {
    List<String> problems = new ArrayList<>();
    if (brokers < 1) {
      problems.add("brokers must be at least 1, was " + brokers);
    }
    if (spareBrokers < 0) {
      problems.add("spareBrokers must be at least 0, was " + spareBrokers);
    }
    if (brokers + spareBrokers > 9) {
      problems.add("brokers + spareBrokers must be at most 9, was " + brokers + " + " + spareBrokers);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    if (spareBrokers == 0) {
      return start(brokers);
    }
    String external = System.getenv(EXTERNAL_BOOTSTRAP_ENV);
    if (external != null && !external.isBlank()) {
      throw new UnsupportedOperationException(
          "spare brokers need an in-process cluster, but "
              + EXTERNAL_BOOTSTRAP_ENV
              + " is set (an external cluster at "
              + external.trim()
              + "); skip this test with an external cluster");
    }
    return startInProcess(brokers, spareBrokers);
  }

  private static KafkaCluster startInProcess(int brokers, int spareBrokers) {
    int nodeCount = brokers + spareBrokers;
    MetadataVersion mv = MetadataVersion.latestProduction();
    // Every production feature at its default level for this metadata version: the kit's own
    // version setter would leave group.version out, which disables the consumer group protocol.
    Map<String, Short> features = new HashMap<>();
    for (Feature f : Feature.PRODUCTION_FEATURES) {
      features.put(f.featureName(), f.defaultLevel(mv));
    }
    BootstrapMetadata bootstrap = BootstrapMetadata.fromVersions(mv, features, "webhookd-test-kit");
    // One controller only: with several, the 4.3 kit races controllers against brokers at startup.
    TestKitNodes nodes =
        new TestKitNodes.Builder(bootstrap)
            .setCombined(nodeCount == 1)
            .setNumControllerNodes(1)
            .setNumBrokerNodes(nodeCount)
            .build();
    int rf = Math.min(brokers, 3);
    KafkaClusterTestKit kit = null;
    try {
      KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
      brokerConfig(Integer.toString(rf)).forEach(builder::setConfigProp);
      kit = builder.build();
      formatQuietly(kit);
      kit.startup();
      kit.waitForReadyBrokers();
      KafkaCluster cluster = new KafkaCluster(kit, kit.bootstrapServers(), rf);
      cluster.waitUntil(
          nodeCount + " brokers to be visible to clients",
          WAIT,
          () -> cluster.answers() && cluster.visibleBrokerCount() == nodeCount);
      // Nothing has been placed yet (internal topics are made on first use), so once stopped the
      // spares hold no partition and the controller places new ones on the other brokers only.
      for (int spare = brokers; spare < nodeCount; spare++) {
        cluster.stopBroker(spare);
      }
      return cluster;
    } catch (Exception e) {
      if (kit != null) {
        try {
          kit.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException(
          "could not start an in-process Kafka cluster of "
              + brokers
              + " brokers"
              + (spareBrokers > 0 ? " and " + spareBrokers + " spare(s)" : ""),
          e);
    }
  }

  /**
   * {@link KafkaClusterTestKit#format()} prints the bootstrap metadata to {@code System.out} (its
   * {@code Formatter} is given no other stream): those lines go to the log instead, under {@code
   * org.apache.kafka} like the brokers' own, so that test output stays clean unless the Kafka log
   * level is raised. Whatever another thread prints during the format goes there too; a cluster is
   * started once per JVM, before the tests that use it.
   */
  private static void formatQuietly(KafkaClusterTestKit kit) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    synchronized (KafkaCluster.class) {
      PrintStream stdout = System.out;
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      try {
        kit.format();
      } finally {
        System.setOut(stdout);
      }
    }
    Logger log = LoggerFactory.getLogger("org.apache.kafka.metadata.storage.Formatter");
    for (String line : captured.toString(StandardCharsets.UTF_8).split("\\R")) {
      if (!line.isBlank()) {
        log.info(line);
      }
    }
  }

  private static Map<String, String> brokerConfig(String rf) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("offsets.topic.replication.factor", rf);
    c.put("offsets.topic.num.partitions", "5");
    c.put("transaction.state.log.replication.factor", rf);
    c.put("transaction.state.log.min.isr", "1");
    c.put("transaction.state.log.num.partitions", "5");
    c.put("share.coordinator.state.topic.replication.factor", rf);
    c.put("share.coordinator.state.topic.min.isr", "1");
    c.put("min.insync.replicas", "1");
    c.put("group.initial.rebalance.delay.ms", "0");
    c.put("group.consumer.min.heartbeat.interval.ms", "100");
    c.put("group.consumer.heartbeat.interval.ms", "500");
    c.put("group.consumer.min.session.timeout.ms", "1000");
    c.put("group.consumer.session.timeout.ms", "10000");
    // A stopped broker is fenced, and a restarted one unfenced, within seconds.
    c.put("broker.session.timeout.ms", "2000");
    c.put("broker.heartbeat.interval.ms", "250");
    return c;
  }

  /** The {@code bootstrap.servers} of the cluster. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * An admin client of the cluster, shared: do not close it (closing the cluster does). Admin
   * clients are thread-safe.
   */
  public Admin admin() {
    return admin;
  }

  /**
   * The ids of the cluster's brokers, ascending, whether running or stopped (for an external
   * cluster: the brokers it reports).
   */
  public List<Integer> brokerIds() {
    if (kit != null) {
      return new ArrayList<>(new TreeMap<>(kit.brokers()).keySet());
    }
    try {
      return admin.describeCluster().nodes().get(WAIT.toMillis(), TimeUnit.MILLISECONDS).stream()
          .map(Node::id)
          .sorted()
          .toList();
    } catch (Exception e) {
      throw failure("could not describe the cluster", e);
    }
  }

  /**
   * Creates a topic replicated {@code min(brokers, 3)} times (spare brokers not counted; for an
   * external cluster, the brokers it reports) and waits until every partition has a leader that
   * clients can see (on every running broker of an in-process cluster), so a producer or consumer
   * can use it at once.
   *
   * @throws IllegalArgumentException when {@code partitions} is less than 1
   * @throws IllegalStateException when the topic already exists or does not become ready in 60 s
   */
  public void createTopic(String name, int partitions) {
    requireNonNull(name, "name");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
    }
    short rf = (short) (replicationFactor > 0 ? replicationFactor : Math.min(brokerIds().size(), 3));
    try {
      admin
          .createTopics(List.of(new NewTopic(name, partitions, rf)))
          .all()
          .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        throw new IllegalStateException(
            "topic " + name + " already exists; tests sharing a cluster must use unique topic names",
            e.getCause());
      }
      throw failure("could not create topic " + name, e);
    } catch (Exception e) {
      throw failure("could not create topic " + name, e);
    }
    waitUntil(
        "topic " + name + " with " + partitions + " partitions to have leaders",
        WAIT,
        () -> topicReady(name, partitions));
  }

  private boolean topicReady(String name, int partitions) {
    KafkaClusterTestKit k = kit;
    if (k != null) {
      for (Map.Entry<Integer, BrokerServer> e : runningBrokers(k).entrySet()) {
        var cache = e.getValue().metadataCache();
        if (cache.numPartitions(name).orElse(-1) != partitions) {
          return false;
        }
        for (int p = 0; p < partitions; p++) {
          if (cache.getPartitionLeaderEndpoint(name, p, k.nodes().brokerListenerName()).isEmpty()) {
            return false;
          }
        }
      }
    }
    try {
      TopicDescription d =
          admin.describeTopics(List.of(name)).allTopicNames().get(5, TimeUnit.SECONDS).get(name);
      return d != null
          && d.partitions().size() == partitions
          && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw failure("could not describe topic " + name, e);
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted", e);
    }
  }

  /**
   * A new producer of the cluster: {@code acks=all}, idempotent, string keys and byte-array values.
   * The caller closes it.
   */
  public KafkaProducer<String, byte[]> newProducer() {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // One request in flight per broker: a retry (after a request timed out on a loaded machine)
    // is then always of the newest batch, which the broker recognises as a duplicate. With
    // several in flight an old batch's retry can fail with OutOfOrderSequenceException forever.
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 60_000);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) PRODUCE_TIMEOUT.toMillis());
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return new KafkaProducer<>(props);
  }

  /**
   * Sends the records (in order, with a shared idempotent producer) and blocks until every one is
   * acknowledged by all in-sync replicas.
   *
   * @return the metadata of each record, in order
   * @throws IllegalStateException when a record is not acknowledged within three minutes (the
   *     producer's delivery timeout)
   */
  public List<RecordMetadata> produce(String topic, List<ProducerRecord<String, byte[]>> records) {
    requireNonNull(topic, "topic");
    requireNonNull(records, "records");
    for (ProducerRecord<String, byte[]> r : records) {
      if (!r.topic().equals(topic)) {
        throw new IllegalArgumentException(
            "every record must be for topic " + topic + ", one was for " + r.topic());
      }
    }
    KafkaProducer<String, byte[]> producer = sharedProducer();
    List<Future<RecordMetadata>> futures = new ArrayList<>(records.size());
    for (ProducerRecord<String, byte[]> r : records) {
      futures.add(producer.send(r));
    }
    producer.flush();
    List<RecordMetadata> out = new ArrayList<>(futures.size());
    long deadline = System.nanoTime() + PRODUCE_TIMEOUT.toNanos();
    try {
      for (Future<RecordMetadata> f : futures) {
        out.add(f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      }
    } catch (Exception e) {
      throw failure("could not produce " + records.size() + " records to " + topic, e);
    }
    return out;
  }

  private synchronized KafkaProducer<String, byte[]> sharedProducer() {
    if (closed.get()) {
      throw new IllegalStateException("the Kafka cluster is closed");
    }
    if (sharedProducer == null) {
      sharedProducer = newProducer();
    }
    return sharedProducer;
  }

  /**
   * The committed offset of every partition the group has committed (partitions without a commit
   * are absent); empty when the group is unknown.
   */
  public Map<TopicPartition, Long> committedOffsets(String groupId) {
    requireNonNull(groupId, "groupId");
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin
              .listConsumerGroupOffsets(groupId)
              .partitionsToOffsetAndMetadata()
              .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, Long> out = new HashMap<>();
      offsets.forEach(
          (tp, om) -> {
            if (om != null) {
              out.put(tp, om.offset());
            }
          });
      return out;
    } catch (Exception e) {
      throw failure("could not read the committed offsets of group " + groupId, e);
    }
  }

  /** The log-end offset (the offset the next record will get) of every partition of the topic. */
  public Map<TopicPartition, Long> endOffsets(String topic) {
    requireNonNull(topic, "topic");
    try {
      TopicDescription d =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
              .get(topic);
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (TopicPartitionInfo p : d.partitions()) {
        request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result =
          admin.listOffsets(request).all().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return result.entrySet().stream()
          .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    } catch (Exception e) {
      throw failure("could not read the end offsets of topic " + topic, e);
    }
  }

  /**
   * Stops a broker (a controlled shutdown: its partition leaderships move to other replicas) and
   * waits until the other brokers consider it gone. Its data stays; {@link #startBroker(int)}
   * restarts it on the same port. A test that stops a broker must restart it before it ends, as
   * the cluster is shared.
   *
   * @throws UnsupportedOperationException for an external cluster
   * @throws IllegalArgumentException when there is no such broker
   * @throws IllegalStateException when the broker is already stopped
   */
  public synchronized void stopBroker(int brokerId) {
    KafkaClusterTestKit k = requireInProcess("stopBroker");
    BrokerServer broker = broker(k, brokerId);
    if (stoppedBrokers.contains(brokerId)) {
      throw new IllegalStateException("broker " + brokerId + " is already stopped");
    }
    broker.shutdown();
    broker.awaitShutdown();
    stoppedBrokers.add(brokerId);
    waitUntil(
        "the other brokers to see broker " + brokerId + " gone",
        WAIT,
        () ->
            runningBrokers(k).values().stream()
                .noneMatch(b -> b.metadataCache().hasAliveBroker(brokerId)));
  }

  /**
   * Restarts a broker stopped by {@link #stopBroker(int)}, with the same data directories and
   * port, and waits until it is running and every running broker sees it.
   *
   * @throws UnsupportedOperationException for an external cluster
   * @throws IllegalArgumentException when there is no such broker
   * @throws IllegalStateException when the broker is not stopped
   */
  public synchronized void startBroker(int brokerId) {
    KafkaClusterTestKit k = requireInProcess("startBroker");
    BrokerServer broker = broker(k, brokerId);
    if (!stoppedBrokers.contains(brokerId)) {
      throw new IllegalStateException("broker " + brokerId + " is not stopped");
    }
    broker.startup();
    stoppedBrokers.remove(brokerId);
    waitUntil(
        "broker " + brokerId + " to run and be seen by every broker",
        WAIT,
        () ->
            broker.brokerState() == BrokerState.RUNNING
                && runningBrokers(k).values().stream()
                    .allMatch(b -> b.metadataCache().hasAliveBroker(brokerId)));
  }

  /** Ids of the brokers stopped with {@link #stopBroker(int)} and not restarted. */
  public synchronized Set<Integer> stoppedBrokers() {
    return Set.copyOf(stoppedBrokers);
  }

  /**
   * Moves partition replicas with Kafka's reassignment API ({@link
   * Admin#alterPartitionReassignments}) and waits until Kafka has finished: {@link
   * Admin#listPartitionReassignments} lists none of the partitions any more and each partition's
   * replicas are its target, in order, with a leader among them. A new replica copies its
   * partition's records from the leader and joins the in-sync replicas before the old one is
   * dropped, so nothing is lost; when the leader is dropped, the first in-sync replica of the
   * target becomes the leader. Producers and consumers carry on throughout (they follow the
   * leader as they do after any leader change).
   *
   * @param targets each partition's new replica list (the first is the preferred leader)
   * @throws IllegalArgumentException when a target is empty or names a broker twice (naming every
   *     such partition)
   * @throws IllegalStateException when Kafka refuses a move (an unknown partition or broker; the
   *     moves it accepted are waited for first) or the moves do not finish within three minutes
   */
  public void reassignPartitions(Map<TopicPartition, List<Integer>> targets) {
    requireNonNull(targets, "targets");
    List<String> problems = new ArrayList<>();
    targets.forEach(
        (tp, replicas) -> {
          if (replicas == null || replicas.isEmpty()) {
            problems.add(tp + ": the target replicas must not be empty");
          } else if (new HashSet<>(replicas).size() != replicas.size()) {
            problems.add(tp + ": the target replicas name a broker twice: " + replicas);
          }
        });
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("bad reassignment: " + String.join("; ", problems));
    }
    if (targets.isEmpty()) {
      return;
    }
    Map<TopicPartition, Optional<NewPartitionReassignment>> request = new HashMap<>();
    targets.forEach(
        (tp, replicas) -> request.put(tp, Optional.of(new NewPartitionReassignment(List.copyOf(replicas)))));
    var submitted = admin.alterPartitionReassignments(request).values();
    List<String> refused = new ArrayList<>();
    for (Map.Entry<TopicPartition, KafkaFuture<Void>> e : submitted.entrySet()) {
      try {
        e.getValue().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException ex) {
        refused.add(e.getKey() + " to " + targets.get(e.getKey()) + ": " + ex.getCause());
      } catch (Exception ex) {
        throw failure("could not reassign " + targets.keySet(), ex);
      }
    }
    if (!refused.isEmpty()) {
      // The others were accepted: wait for them, so that the cluster is not left mid-move.
      Map<TopicPartition, List<Integer>> accepted = new HashMap<>(targets);
      submitted.forEach((tp, f) -> {
        if (f.isCompletedExceptionally()) {
          accepted.remove(tp);
        }
      });
      awaitReassigned(accepted);
      throw new IllegalStateException("Kafka refused to reassign " + String.join("; ", refused));
    }
    awaitReassigned(targets);
  }

  private void awaitReassigned(Map<TopicPartition, List<Integer>> targets) {
    if (targets.isEmpty()) {
      return;
    }
    Set<String> topics = targets.keySet().stream().map(TopicPartition::topic).collect(Collectors.toSet());
    waitUntil(
        "the reassignment of " + targets.size() + " partition(s) to finish",
        REASSIGN_TIMEOUT,
        200, // two admin requests a poll, on a cluster that is busy copying partitions
        () -> {
          try {
            if (!admin
                .listPartitionReassignments(targets.keySet())
                .reassignments()
                .get(5, TimeUnit.SECONDS)
                .isEmpty()) {
              return false;
            }
            Map<TopicPartition, TopicPartitionInfo> now = describePartitions(topics);
            return targets.entrySet().stream()
                .allMatch(
                    e -> {
                      TopicPartitionInfo p = now.get(e.getKey());
                      return p != null
                          && ids(p.replicas()).equals(e.getValue())
                          && p.leader() != null
                          && e.getValue().contains(p.leader().id());
                    });
          } catch (TimeoutException e) {
            return false;
          } catch (Exception e) {
            throw failure("could not follow the reassignment of " + targets.keySet(), e);
          }
        });
  }

  /**
   * Adds a broker to the partitions of some topics and makes it their leader, as an operator
   * spreads load onto a broker that has just joined: in each partition that does not have a
   * replica on the broker, the broker takes the place of the current leader (the replication
   * factor stays the same); the broker is put first (preferred leader) in every partition's
   * replica list. The moves go through {@link #reassignPartitions(Map)}; a partition whose leader
   * is then not the broker (it already had a replica there) gets a preferred leader election.
   * Returns once the broker leads every one of the partitions.
   *
   * @param brokerId a running broker
   * @param topics the topics whose partitions move
   * @return the target replicas given to each partition (empty when nothing had to move)
   * @throws IllegalArgumentException when the broker is unknown or stopped
   * @throws IllegalStateException when a topic does not exist or the moves do not finish in time
   */
  public Map<TopicPartition, List<Integer>> moveReplicasOnto(int brokerId, Collection<String> topics) {
    requireNonNull(topics, "topics");
    requireRunning(brokerId);
    Map<TopicPartition, TopicPartitionInfo> partitions = describePartitions(Set.copyOf(topics));
    Map<TopicPartition, List<Integer>> targets = new TreeMap<>(PARTITION_ORDER);
    partitions.forEach(
        (tp, p) -> {
          List<Integer> replicas = ids(p.replicas());
          Integer leader = p.leader() == null || p.leader().isEmpty() ? null : p.leader().id();
          if (replicas.get(0) == brokerId && leader != null && leader == brokerId) {
            return;
          }
          List<Integer> target = new ArrayList<>();
          target.add(brokerId);
          if (replicas.contains(brokerId)) {
            replicas.stream().filter(r -> r != brokerId).forEach(target::add); // a new order only
          } else {
            // the broker takes the leader's place (the last replica's, when there is no leader)
            int leaving = leader != null && replicas.contains(leader) ? leader : replicas.get(replicas.size() - 1);
            replicas.stream().filter(r -> r != leaving).forEach(target::add);
          }
          targets.put(tp, target);
        });
    reassignPartitions(targets);
    Set<TopicPartition> notLed =
        describePartitions(Set.copyOf(topics)).entrySet().stream()
            .filter(e -> e.getValue().leader() == null || e.getValue().leader().id() != brokerId)
            .map(Map.Entry::getKey)
            .collect(Collectors.toSet());
    if (!notLed.isEmpty()) {
      electPreferredLeaders(notLed);
      waitUntil(
          "broker " + brokerId + " to lead " + notLed,
          WAIT,
          () ->
              describePartitions(Set.copyOf(topics)).values().stream()
                  .allMatch(p -> p.leader() != null && p.leader().id() == brokerId));
    }
    return targets;
  }

  /**
   * Moves every replica off a broker, as an operator does before taking a broker out of the
   * cluster: every partition of every topic (internal topics such as {@code __consumer_offsets}
   * included) with a replica on the broker gets, in that replica's place, a running broker that
   * has none of the partition yet, the one holding the fewest replicas (lowest id on a tie). A
   * partition the broker led is then led by its replacement. The moves go through {@link
   * #reassignPartitions(Map)}; the broker keeps running (stop it with {@link #stopBroker(int)}).
   *
   * @param brokerId a running broker
   * @return the target replicas given to each partition that moved (empty when the broker held
   *     none)
   * @throws IllegalArgumentException when the broker is unknown or stopped
   * @throws IllegalStateException when some partition has no running broker to move to (naming
   *     every such partition; nothing is moved then) or the moves do not finish in time
   */
  public Map<TopicPartition, List<Integer>> moveReplicasOff(int brokerId) {
    requireRunning(brokerId);
    Set<String> topics;
    try {
      topics =
          admin
              .listTopics(new ListTopicsOptions().listInternal(true))
              .names()
              .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw failure("could not list the topics", e);
    }
    Map<TopicPartition, TopicPartitionInfo> partitions = describePartitions(topics);
    List<Integer> candidates = new ArrayList<>(runningBrokerIds());
    candidates.remove(Integer.valueOf(brokerId));
    Map<Integer, Integer> load = new HashMap<>();
    candidates.forEach(b -> load.put(b, 0));
    partitions.values().forEach(p -> ids(p.replicas()).forEach(r -> load.computeIfPresent(r, (k, n) -> n + 1)));
    Map<TopicPartition, List<Integer>> targets = new TreeMap<>(PARTITION_ORDER);
    List<String> stuck = new ArrayList<>();
    Map<TopicPartition, TopicPartitionInfo> inOrder = new TreeMap<>(PARTITION_ORDER);
    inOrder.putAll(partitions);
    inOrder.forEach(
        (tp, p) -> {
          List<Integer> replicas = ids(p.replicas());
          int at = replicas.indexOf(brokerId);
          if (at < 0) {
            return;
          }
          Optional<Integer> to =
              candidates.stream()
                  .filter(b -> !replicas.contains(b))
                  .min(Comparator.comparing((Integer b) -> load.get(b)).thenComparing(b -> b));
          if (to.isEmpty()) {
            stuck.add(tp + " (replicas " + replicas + ")");
            return;
          }
          List<Integer> target = new ArrayList<>(replicas);
          target.set(at, to.get());
          load.merge(to.get(), 1, Integer::sum);
          targets.put(tp, target);
        });
    if (!stuck.isEmpty()) {
      throw new IllegalStateException(
          "cannot move every replica off broker "
              + brokerId
              + ": no other running broker (running: "
              + candidates
              + ") is free to take "
              + String.join(", ", stuck));
    }
    reassignPartitions(targets);
    return targets;
  }

  private void electPreferredLeaders(Set<TopicPartition> partitions) {
    try {
      Map<TopicPartition, Optional<Throwable>> result =
          admin
              .electLeaders(ElectionType.PREFERRED, partitions)
              .partitions()
              .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      List<String> failed = new ArrayList<>();
      result.forEach(
          (tp, error) ->
              error
                  .filter(t -> !(t instanceof ElectionNotNeededException))
                  .ifPresent(t -> failed.add(tp + ": " + t)));
      if (!failed.isEmpty()) {
        throw new IllegalStateException("the preferred leader election failed for " + String.join("; ", failed));
      }
    } catch (IllegalStateException e) {
      throw e;
    } catch (Exception e) {
      throw failure("could not elect the preferred leaders of " + partitions, e);
    }
  }

  private Map<TopicPartition, TopicPartitionInfo> describePartitions(Set<String> topics) {
    try {
      Map<TopicPartition, TopicPartitionInfo> out = new HashMap<>();
      admin
          .describeTopics(topics)
          .allTopicNames()
          .get(WAIT.toMillis(), TimeUnit.MILLISECONDS)
          .forEach(
              (name, d) -> d.partitions().forEach(p -> out.put(new TopicPartition(name, p.partition()), p)));
      return out;
    } catch (Exception e) {
      throw failure("could not describe the topics " + new TreeSet<>(topics), e);
    }
  }

  private static List<Integer> ids(List<Node> nodes) {
    return nodes.stream().map(Node::id).toList();
  }

  /** The brokers that run: in-process, every broker not stopped; external, those it reports. */
  private List<Integer> runningBrokerIds() {
    List<Integer> ids = new ArrayList<>(brokerIds());
    synchronized (this) {
      ids.removeAll(stoppedBrokers);
    }
    return ids;
  }

  private void requireRunning(int brokerId) {
    List<Integer> all = brokerIds();
    if (!all.contains(brokerId)) {
      throw new IllegalArgumentException("no broker with id " + brokerId + "; the brokers are " + all);
    }
    synchronized (this) {
      if (stoppedBrokers.contains(brokerId)) {
        throw new IllegalArgumentException(
            "broker " + brokerId + " is stopped; start it with startBroker(" + brokerId + ") first");
      }
    }
  }

  /** Whether this is an external cluster ({@value #EXTERNAL_BOOTSTRAP_ENV}). */
  public boolean isExternal() {
    return kit == null && container == null;
  }

  /** Whether this is the Docker container of {@link #startContainer()}. */
  public boolean isContainer() {
    return container != null;
  }

  /**
   * Closes the clients of this handle and, for an in-process cluster, stops every broker and the
   * controller and deletes their data. Idempotent. Never close a cluster obtained from {@link
   * WithKafka} or {@link KafkaExtension#shared(int)}: the extension closes it after the last test.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    KafkaProducer<String, byte[]> p;
    synchronized (this) {
      p = sharedProducer;
      sharedProducer = null;
    }
    if (p != null) {
      p.close(Duration.ofSeconds(5));
    }
    admin.close(Duration.ofSeconds(5));
    if (container != null) {
      try {
        container.close();
      } catch (Exception e) {
        throw new IllegalStateException("could not stop the Kafka container", e);
      }
    }
    if (kit != null) {
      try {
        kit.close();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("could not stop the in-process Kafka cluster", e);
      }
    }
  }

  @Override
  public String toString() {
    return (kit != null ? "in-process" : container != null ? "Testcontainers" : "external") + " Kafka cluster at " + bootstrapServers;
  }

  private KafkaClusterTestKit requireInProcess(String operation) {
    KafkaClusterTestKit k = kit;
    if (k == null) {
      if (container != null) {
        throw new UnsupportedOperationException(
            operation + " needs an in-process cluster, but this is the Testcontainers broker at " + bootstrapServers
                + "; a test that stops brokers asks for @WithKafka(brokers = 3), which is always in-process");
      }
      throw new UnsupportedOperationException(
          operation
              + " needs an in-process cluster, but this is the external cluster at "
              + bootstrapServers
              + " ("
              + EXTERNAL_BOOTSTRAP_ENV
              + " is set); skip this test with an external cluster");
    }
    return k;
  }

  private static BrokerServer broker(KafkaClusterTestKit k, int brokerId) {
    BrokerServer broker = k.brokers().get(brokerId);
    if (broker == null) {
      throw new IllegalArgumentException(
          "no broker with id " + brokerId + "; the brokers are " + new TreeMap<>(k.brokers()).keySet());
    }
    return broker;
  }

  private Map<Integer, BrokerServer> runningBrokers(KafkaClusterTestKit k) {
    Map<Integer, BrokerServer> out = new HashMap<>(k.brokers());
    synchronized (this) {
      out.keySet().removeAll(stoppedBrokers);
    }
    return out;
  }

  private boolean answers() {
    try {
      admin.describeCluster().clusterId().get(5, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted", e);
    }
  }

  private int visibleBrokerCount() {
    try {
      Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
      return nodes.size();
    } catch (ExecutionException | TimeoutException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted", e);
    }
  }

  private void waitUntil(String what, Duration timeout, BooleanSupplier condition) {
    waitUntil(what, timeout, 50, condition);
  }

  private void waitUntil(String what, Duration timeout, long pollMillis, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "timed out after " + timeout.toSeconds() + " s waiting for " + what + " (" + this + ")");
      }
      try {
        Thread.sleep(pollMillis); // polling a condition of a real cluster
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
  }

  private static IllegalStateException failure(String message, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return new IllegalStateException(message + ": " + cause, cause);
  }
}
