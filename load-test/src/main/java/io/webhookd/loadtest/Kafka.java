package io.webhookd.loadtest;

import io.webhookd.testkit.KafkaCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;

/** The Kafka of a run: an in-process KRaft cluster of the test kit, or an external cluster. */
final class Kafka implements AutoCloseable {
  private final @Nullable KafkaCluster cluster;
  private final String bootstrap;
  private final Admin admin;

  private Kafka(@Nullable KafkaCluster cluster, String bootstrap) {
    this.cluster = cluster;
    this.bootstrap = bootstrap;
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    this.admin = cluster != null ? cluster.admin() : Admin.create(p);
  }

  static Kafka start(@Nullable String bootstrap, int brokers) {
    return start(bootstrap, brokers, 0);
  }

  /**
   * The external cluster at {@code bootstrap}, or an in-process one of {@code brokers} brokers and
   * {@code spareBrokers} stopped spares (for a fault that adds a broker to the running cluster).
   */
  static Kafka start(@Nullable String bootstrap, int brokers, int spareBrokers) {
    if (bootstrap != null) {
      return new Kafka(null, bootstrap);
    }
    KafkaCluster c = KafkaCluster.start(brokers, spareBrokers);
    return new Kafka(c, c.bootstrapServers());
  }

  String bootstrap() {
    return bootstrap;
  }

  @Nullable KafkaCluster cluster() {
    return cluster;
  }

  String describe() {
    return cluster == null
        ? "external cluster at " + bootstrap
        : "in-process KRaft cluster of " + (cluster.brokerIds().size() - cluster.stoppedBrokers().size()) + " broker(s)"
            + (cluster.stoppedBrokers().isEmpty() ? "" : " and spare broker(s) " + cluster.stoppedBrokers() + " (stopped)")
            + " at " + bootstrap;
  }

  void createTopic(String name, int partitions, int replicationFactor) {
    if (cluster != null) {
      cluster.createTopic(name, partitions);
      return;
    }
    try {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) replicationFactor))).all().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not create topic " + name + " on " + bootstrap, e);
    }
  }

  /** A producer; {@code lingerMs} 0 for latency runs, more for backlogs. acks=all, idempotent. */
  KafkaProducer<String, byte[]> producer(int lingerMs) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, lingerMs > 0 ? 256 * 1024 : 16 * 1024);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "webhookd-load-test-producer");
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  Map<String, Object> consumerProps() {
    return Map.of("bootstrap.servers", bootstrap);
  }

  @Override
  public void close() {
    if (cluster != null) {
      cluster.close();
    } else {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
