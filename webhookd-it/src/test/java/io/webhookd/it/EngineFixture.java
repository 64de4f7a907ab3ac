package io.webhookd.it;

import io.webhookd.Webhookd;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.testkit.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Shared helpers of the end-to-end tests. */
final class EngineFixture {
  private EngineFixture() {}

  static String topic(KafkaCluster kafka, String prefix, int partitions) {
    String t = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(t, partitions);
    return t;
  }

  /** An engine on the cluster, posting with the JDK transport to loopback receivers. */
  static Webhookd.Builder engine(KafkaCluster kafka) {
    return Webhookd.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .destination(JdkHttpDestination.builder().allowPrivateDestinations(true).build())
        .requestTimeout(Duration.ofSeconds(5))
        .shutdownTimeout(Duration.ofSeconds(10));
  }

  /** {@code count} JSON messages {"n": i, ...} spread over partitions by key. */
  static List<ProducerRecord<String, byte[]>> jsonMessages(String topic, int from, int count) {
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>(count);
    for (int i = from; i < from + count; i++) {
      String json = "{\"n\":" + i + ",\"amount\":" + (i % 200) + ",\"region\":\"" + (i % 2 == 0 ? "eu" : "us") + "\"}";
      out.add(new ProducerRecord<>(topic, "key-" + (i % 17), json.getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }
}
