package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.GroupProtocol;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Growing and shrinking a running cluster: spare brokers, and replicas moved with Kafka's
 * reassignment API. Each test starts its own cluster of two brokers and a spare (the shared
 * clusters of {@link WithKafka} must keep their shape).
 */
class ScalingClusterTest {

  private KafkaCluster kafka;

  @BeforeEach
  void startClusterWithSpare() {
    assumeTrue(
        System.getenv(KafkaCluster.EXTERNAL_BOOTSTRAP_ENV) == null,
        "spare brokers need an in-process cluster");
    kafka = KafkaCluster.start(2, 1);
  }

  @AfterEach
  void close() {
    if (kafka != null) {
      kafka.close(); // with a broker still stopped: closing must not mind
    }
  }

  @Test
  @DisplayName("a spare broker is stopped, invisible to clients, and holds no partition of any topic, internal ones included")
  void spareHoldsNothing() throws Exception {
    String topic = "spare-" + UUID.randomUUID();
    kafka.createTopic(topic, 4);
    produce(topic, 0, 20);
    consumeAll(topic, "spare-group-" + UUID.randomUUID(), 20); // makes __consumer_offsets

    assertThat(kafka.brokerIds()).containsExactly(0, 1, 2);
    assertThat(kafka.stoppedBrokers()).containsExactly(2);
    assertThat(kafka.admin().describeCluster().nodes().get()).extracting(Node::id).containsExactlyInAnyOrder(0, 1);
    Map<TopicPartition, TopicPartitionInfo> all = allPartitions();
    assertThat(all.keySet()).extracting(TopicPartition::topic).contains(topic, "__consumer_offsets");
    assertThat(all.values()).allSatisfy(p -> assertThat(ids(p.replicas())).doesNotContain(2).hasSize(2));
  }

  @Test
  @DisplayName("a spare added and the topic moved onto it, then a broker drained and stopped, while a producer writes: every acknowledged record is consumed, and the group's commits survive")
  void scaleUpThenDownLosesNothing() throws Exception {
    String topic = "scale-" + UUID.randomUUID();
    kafka.createTopic(topic, 3);
    String group = "scale-group-" + UUID.randomUUID();
    produce(topic, 0, 30);
    assertThat(consumeAll(topic, group, 30)).hasSize(30);
    Map<TopicPartition, Long> committedBefore = kafka.committedOffsets(group);
    assertThat(committedBefore.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(30);

    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicBoolean producing = new AtomicBoolean(true);
    CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
      try (KafkaProducer<String, byte[]> p = kafka.newProducer()) {
        for (int i = 30; producing.get(); i++) {
          String v = "m" + i;
          p.send(new ProducerRecord<>(topic, "k" + i, v.getBytes(StandardCharsets.UTF_8)), (md, e) -> {
            if (e == null) {
              acked.add(v);
            }
          });
          Thread.sleep(5);
        }
        p.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Map<TopicPartition, List<Integer>> onto;
    Map<TopicPartition, List<Integer>> off;
    try {
      // up: the spare joins and takes over the leadership of every partition of the topic
      kafka.startBroker(2);
      onto = kafka.moveReplicasOnto(2, List.of(topic));
      assertThat(describe(topic).partitions()).allSatisfy(p -> {
        assertThat(p.leader().id()).isEqualTo(2);
        assertThat(ids(p.replicas())).hasSize(2).startsWith(2);
      });

      // down: broker 0 gives up every replica it has, internal topics included, and leaves
      off = kafka.moveReplicasOff(0);
      assertThat(allPartitions().values()).allSatisfy(p -> assertThat(ids(p.replicas())).doesNotContain(0).hasSize(2));
      kafka.stopBroker(0);
    } finally {
      producing.set(false);
      producer.get();
    }

    assertThat(onto).hasSize(3).allSatisfy((tp, target) -> assertThat(target).startsWith(2));
    assertThat(off.keySet()).extracting(TopicPartition::topic).contains("__consumer_offsets");
    assertThat(kafka.stoppedBrokers()).containsExactly(0);
    assertThat(kafka.admin().listPartitionReassignments().reassignments().get()).isEmpty();
    // the group's commits moved with __consumer_offsets
    assertThat(kafka.committedOffsets(group)).isEqualTo(committedBefore);
    assertThat(acked).hasSizeGreaterThan(10);
    int total = 30 + acked.size();
    List<String> consumed = consumeAll(topic, "after-" + UUID.randomUUID(), total);
    assertThat(consumed).hasSize(total).doesNotHaveDuplicates();
    assertThat(consumed).containsAll(acked).containsAll(IntStream.range(0, 30).mapToObj(i -> "m" + i).toList());
  }

  @Test
  @DisplayName("moving replicas onto a spare that is still stopped is refused, naming it")
  void moveOntoStoppedSpareRefused() {
    String topic = "stopped-" + UUID.randomUUID();
    kafka.createTopic(topic, 1);

    assertThatThrownBy(() -> kafka.moveReplicasOnto(2, List.of(topic)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("broker 2 is stopped");
  }

  private void produce(String topic, int from, int to) {
    kafka.produce(topic, IntStream.range(from, to)
        .mapToObj(i -> new ProducerRecord<String, byte[]>(topic, "k" + i, ("m" + i).getBytes(StandardCharsets.UTF_8)))
        .toList());
  }

  /** Reads the topic from the start with a new group until {@code count} records came, and commits. */
  private List<String> consumeAll(String topic, String group, int count) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = consumer(group)) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInSameThread()
          .pollInterval(Duration.ZERO)
          .until(() -> {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
              values.add(new String(r.value(), StandardCharsets.UTF_8));
            }
            return values.size() >= count;
          });
      consumer.commitSync();
    }
    return values;
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

  private TopicDescription describe(String topic) throws Exception {
    return kafka.admin().describeTopics(List.of(topic)).allTopicNames().get().get(topic);
  }

  private Map<TopicPartition, TopicPartitionInfo> allPartitions() throws Exception {
    Set<String> topics = kafka.admin().listTopics(new ListTopicsOptions().listInternal(true)).names().get();
    return kafka.admin().describeTopics(topics).allTopicNames().get().values().stream()
        .flatMap(d -> d.partitions().stream().map(p -> Map.entry(new TopicPartition(d.name(), p.partition()), p)))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  private static List<Integer> ids(Collection<Node> nodes) {
    return nodes.stream().map(Node::id).toList();
  }
}
