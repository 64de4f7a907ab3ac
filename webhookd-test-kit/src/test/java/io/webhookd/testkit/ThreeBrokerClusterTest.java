package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
