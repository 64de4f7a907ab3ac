package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {
  @TempDir Path dataDir;

  @Test
  void keepsTopicsAndCommittedOffsetsAcrossRestarts() throws Exception {
    TopicPartition tp = new TopicPartition("orders", 0);
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0)) {
      try (KafkaProducer<String, String> p = producer(kafka.bootstrapServers())) {
        p.send(new ProducerRecord<>("orders", "k", "{\"amount\":1}")).get();
        p.send(new ProducerRecord<>("orders", "k", "{\"amount\":2}")).get();
      }
      try (KafkaConsumer<String, String> c = consumer(kafka.bootstrapServers())) {
        c.assign(List.of(tp));
        c.commitSync(Map.of(tp, new OffsetAndMetadata(1)));
      }
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0)) {
      Properties ap = new Properties();
      ap.put("bootstrap.servers", kafka.bootstrapServers());
      try (Admin admin = Admin.create(ap)) {
        assertThat(admin.listTopics().names().get()).contains("orders");
      }
      try (KafkaConsumer<String, String> c = consumer(kafka.bootstrapServers())) {
        assertThat(c.committed(java.util.Set.of(tp), Duration.ofSeconds(30)).get(tp).offset())
            .isEqualTo(1);
        assertThat(c.endOffsets(List.of(tp)).get(tp)).isEqualTo(2);
      }
    }
  }

  static KafkaProducer<String, String> producer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static KafkaConsumer<String, String> consumer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "g1");
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }
}
