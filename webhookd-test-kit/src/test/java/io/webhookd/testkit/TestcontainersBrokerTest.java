package io.webhookd.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The Testcontainers broker, end to end: skipped (not passed) where Testcontainers finds no Docker,
 * as on the machines this project is built on.
 */
@Testcontainers(disabledWithoutDocker = true)
@WithKafka(broker = WithKafka.Broker.TESTCONTAINERS)
class TestcontainersBrokerTest {

  @Test
  @DisplayName("a Kafka container takes topics and records, and an engine delivers from it")
  void deliversFromAContainer(KafkaCluster kafka) {
    assertThat(kafka.isContainer()).isTrue();
    assertThat(kafka.brokerIds()).hasSize(1);
    String topic = "orders-" + UUID.randomUUID();
    kafka.createTopic(topic, 2);
    try (InMemoryDestination destination = InMemoryDestination.create();
        Webhookd webhookd = Webhookd.builder().bootstrapServers(kafka.bootstrapServers()).destination(destination).build()) {
      webhookd.subscribe(SubscriptionSpec.builder().name("orders").webhookUrl("https://hooks.example.com/orders").source(topic).build());

      kafka.produce(topic, List.of(new ProducerRecord<>(topic, 0, "k", "{\"amount\":120}".getBytes(UTF_8))));

      destination.awaitRequests(1, Duration.ofSeconds(60));
      assertThat(destination.deliveredMessages()).extracting(ReceivedMessage::key).containsExactly("k");
      assertThat(kafka.endOffsets(topic)).containsEntry(new TopicPartition(topic, 0), 1L);
    }
  }
}
