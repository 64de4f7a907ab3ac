package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.GroupProtocol;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@WithKafka(brokers = 3)
class ThreeBrokerClusterTest {

  @BeforeEach
  void needsInProcessCluster(KafkaCluster kafka) {
    assumeFalse(kafka.isExternal(), "stops and starts brokers of an in-process cluster");
  }

  @Test
  @DisplayName("a three-broker cluster has brokers 0, 1 and 2 and replicates topics three times")
  void hasThreeBrokersAndReplicatesThreeTimes(KafkaCluster kafka) throws Exception {
    String topic = "replicated-" + UUID.randomUUID();

    kafka.createTopic(topic, 2);

    assertThat(kafka.brokerIds()).containsExactly(0, 1, 2);
    assertThat(kafka).isSameAs(KafkaExtension.shared(3)).isNotSameAs(KafkaExtension.shared(1));
    assertThat(describe(kafka, topic).partitions())
        .hasSize(2)
        .allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
  }

  @Test
  @DisplayName("messages produced while a broker is down are all consumed, and the restarted broker rejoins the ISR")
  void survivesBrokerRestart(KafkaCluster kafka) throws Exception {
    String topic = "restart-" + UUID.randomUUID();
    kafka.createTopic(topic, 3);
    kafka.produce(topic, records(topic, 0, 10));
    int victim = describe(kafka, topic).partitions().get(0).leader().id();

    kafka.stopBroker(victim);
    List<String> values = new ArrayList<>();
    try {
      assertThat(kafka.stoppedBrokers()).containsExactly(victim);
      kafka.produce(topic, records(topic, 10, 20));
      try (KafkaConsumer<String, byte[]> consumer = consumer(kafka, "restart-group-" + UUID.randomUUID())) {
        consumer.subscribe(List.of(topic));
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInSameThread()
            .pollInterval(Duration.ZERO)
            .until(
                () -> {
                  for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                  }
                  return values.size() >= 20;
                });
      }
    } finally {
      kafka.startBroker(victim);
    }

    assertThat(values).containsExactlyInAnyOrderElementsOf(expected(0, 20));
    assertThat(kafka.stoppedBrokers()).isEmpty();
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(describe(kafka, topic).partitions())
                    .allSatisfy(p -> assertThat(p.isr()).extracting(Node::id).contains(victim)));
    kafka.produce(topic, records(topic, 20, 30));
    assertThat(kafka.endOffsets(topic).values().stream().mapToLong(Long::longValue).sum()).isEqualTo(30);
  }

  @Test
  @DisplayName("starting a broker that is running is refused, naming it")
  void refusesStateMisuse(KafkaCluster kafka) {
    assertThatThrownBy(() -> kafka.startBroker(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("broker 1 is not stopped");
  }

  @Test
  @DisplayName("reassignPartitions gives partitions new replica lists (here a new order, and one replica fewer) and returns when Kafka has finished, records intact")
  void reassignsPartitions(KafkaCluster kafka) throws Exception {
    String topic = "reassign-" + UUID.randomUUID();
    kafka.createTopic(topic, 2);
    kafka.produce(topic, records(topic, 0, 20));
    List<Integer> p0 = describe(kafka, topic).partitions().get(0).replicas().stream().map(Node::id).toList();
    List<Integer> reversed = new ArrayList<>(p0);
    java.util.Collections.reverse(reversed);

    kafka.reassignPartitions(Map.of(new TopicPartition(topic, 0), reversed, new TopicPartition(topic, 1), List.of(1)));

    List<TopicPartitionInfo> partitions = describe(kafka, topic).partitions();
    assertThat(partitions.get(0).replicas()).extracting(Node::id).containsExactlyElementsOf(reversed);
    assertThat(partitions.get(1).replicas()).extracting(Node::id).containsExactly(1);
    assertThat(partitions.get(1).leader().id()).isEqualTo(1);
    assertThat(kafka.admin().listPartitionReassignments().reassignments().get()).doesNotContainKeys(
        new TopicPartition(topic, 0), new TopicPartition(topic, 1));
    assertThat(kafka.endOffsets(topic).values().stream().mapToLong(Long::longValue).sum()).isEqualTo(20);
  }

  @Test
  @DisplayName("reassignments that cannot be done are refused with every problem named, and nothing moves")
  void refusesImpossibleReassignments(KafkaCluster kafka) throws Exception {
    String topic = "refused-" + UUID.randomUUID();
    kafka.createTopic(topic, 2);
    List<TopicPartitionInfo> before = describe(kafka, topic).partitions();

    assertThatThrownBy(() -> kafka.reassignPartitions(Map.of(
            new TopicPartition(topic, 0), List.of(), new TopicPartition(topic, 1), List.of(1, 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(topic + "-0: the target replicas must not be empty")
        .hasMessageContaining(topic + "-1: the target replicas name a broker twice: [1, 1]");
    assertThatThrownBy(() -> kafka.reassignPartitions(Map.of(new TopicPartition(topic, 0), List.of(0, 1, 7))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Kafka refused to reassign " + topic + "-0 to [0, 1, 7]");
    // three brokers, three replicas each: no broker is free to take broker 0's replicas
    assertThatThrownBy(() -> kafka.moveReplicasOff(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot move every replica off broker 0")
        .hasMessageContaining(topic + "-0 (replicas ")
        .hasMessageContaining(topic + "-1 (replicas ");
    assertThatThrownBy(() -> kafka.moveReplicasOnto(5, List.of(topic)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no broker with id 5; the brokers are [0, 1, 2]");

    assertThat(describe(kafka, topic).partitions()).isEqualTo(before);
  }

  private static TopicDescription describe(KafkaCluster kafka, String topic) throws Exception {
    return kafka.admin().describeTopics(List.of(topic)).allTopicNames().get().get(topic);
  }

  private static List<ProducerRecord<String, byte[]>> records(String topic, int from, int to) {
    return IntStream.range(from, to)
        .mapToObj(i -> new ProducerRecord<String, byte[]>(topic, "k" + i, ("m" + i).getBytes(StandardCharsets.UTF_8)))
        .toList();
  }

  private static List<String> expected(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> "m" + i).toList();
  }

  private static KafkaConsumer<String, byte[]> consumer(KafkaCluster kafka, String group) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, GroupProtocol.CONSUMER.name());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new KafkaConsumer<>(props);
  }

}
