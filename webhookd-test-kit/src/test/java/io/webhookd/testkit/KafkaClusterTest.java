package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.GroupProtocol;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@WithKafka
class KafkaClusterTest {

  private static KafkaCluster fromBeforeAll;
  private final KafkaCluster kafka;

  KafkaClusterTest(KafkaCluster kafka) {
    this.kafka = kafka;
  }

  @BeforeAll
  static void remember(KafkaCluster kafka) {
    fromBeforeAll = kafka;
  }

  @Test
  @DisplayName("constructor, @BeforeAll and test parameters get the same shared one-broker cluster")
  void injectsTheSharedCluster(KafkaCluster parameter) {
    assertThat(parameter).isSameAs(kafka).isSameAs(fromBeforeAll).isSameAs(KafkaExtension.shared(1));
    assertThat(kafka.bootstrapServers()).isNotBlank();
    assumeFalse(kafka.isExternal(), "an external cluster has as many brokers as it has");
    assertThat(kafka.brokerIds()).containsExactly(0);
  }

  @Test
  @DisplayName("records produced are consumed by a consumer group, whose commits the cluster reports")
  void producesAndConsumes() {
    String topic = "orders-" + UUID.randomUUID();
    kafka.createTopic(topic, 3);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      records.add(new ProducerRecord<>(topic, "key-" + i, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
    }

    List<RecordMetadata> acked = kafka.produce(topic, records);

    assertThat(acked).hasSize(30);
    String group = "group-" + UUID.randomUUID();
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = consumer(group)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (values.size() < 30 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
      consumer.commitSync();
    }

    assertThat(values)
        .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 30).mapToObj(i -> "{\"n\":" + i + "}").toList());
    Map<TopicPartition, Long> ends = kafka.endOffsets(topic);
    assertThat(ends).hasSize(3);
    assertThat(ends.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(30);
    assertThat(kafka.committedOffsets(group)).isEqualTo(ends);
  }

  @Test
  @DisplayName("a topic made by createTopic can be written and read at once")
  void createdTopicIsUsableAtOnce() {
    String topic = "fresh-" + UUID.randomUUID();

    kafka.createTopic(topic, 2);

    try (KafkaProducer<String, byte[]> producer = kafka.newProducer();
        KafkaConsumer<String, byte[]> consumer = consumer("unused-" + UUID.randomUUID())) {
      List<PartitionInfo> partitions = consumer.partitionsFor(topic);
      assertThat(partitions).hasSize(2).allSatisfy(p -> assertThat(p.leader()).isNotNull());
      producer.send(new ProducerRecord<>(topic, 1, "k", "hello".getBytes(StandardCharsets.UTF_8))).get();
      consumer.assign(List.of(new TopicPartition(topic, 1)));
      consumer.seekToBeginning(List.of(new TopicPartition(topic, 1)));
      List<String> read = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (read.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.key() + "=" + new String(r.value(), StandardCharsets.UTF_8)));
      }
      assertThat(read).containsExactly("k=hello");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @DisplayName("createTopic refuses a topic that exists, naming it")
  void createTopicRefusesExistingTopic() {
    String topic = "twice-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);

    assertThatThrownBy(() -> kafka.createTopic(topic, 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(topic)
        .hasMessageContaining("already exists");
  }

  @Test
  @DisplayName("a group that never committed has no committed offsets")
  void unknownGroupHasNoCommittedOffsets() {
    assertThat(kafka.committedOffsets("nobody-" + UUID.randomUUID())).isEmpty();
  }

  @Test
  @DisplayName("stopBroker names the brokers when given an unknown id")
  void stopBrokerRefusesUnknownId() {
    assumeFalse(kafka.isExternal(), "an external cluster's brokers cannot be stopped");
    assertThatThrownBy(() -> kafka.stopBroker(42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no broker with id 42");
  }

  @Test
  @DisplayName("start refuses bad broker counts, naming every one")
  void startRefusesBadCounts() {
    assertThatThrownBy(() -> KafkaCluster.start(0, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("brokers must be at least 1, was 0")
        .hasMessageContaining("spareBrokers must be at least 0, was -1");
    assertThatThrownBy(() -> KafkaCluster.start(8, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("brokers + spareBrokers must be at most 9, was 8 + 2");
  }

  private KafkaConsumer<String, byte[]> consumer(String group) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, GroupProtocol.CONSUMER.name());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new KafkaConsumer<>(props);
  }

  @Test
  @DisplayName("starting an in-process cluster prints nothing on standard out (the broker's output goes to the log)")
  void startPrintsNothingOnStandardOut() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stdout = System.out;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try (KafkaCluster own = KafkaCluster.start(1)) {
      assertThat(own.bootstrapServers()).isNotBlank();
    } finally {
      System.setOut(stdout);
    }
    assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).isEmpty();
  }
}
