package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.server.TestServer.Answer;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.KafkaExtension;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restart on the same H2 file keeps subscriptions and resumes delivery with nothing missing. */
class RestartTest {
  static final Duration WAIT = Duration.ofSeconds(90);
  @TempDir Path dir;

  @Test
  @DisplayName("restart with the same H2 data dir: subscriptions kept, delivery resumes, 0 missing")
  void restartKeepsSubscriptionsAndResumesWithNothingMissing() throws Exception {
    KafkaCluster kafka = KafkaExtension.shared(1);
    String topic = "restart-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(topic, 3);
    Path data = dir.resolve("data");
    Path clients = RestApiTest.clientsFile(dir);
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      String id;
      String created;
      try (TestServer first = TestServer.start(kafka, data, clients)) {
        Answer a = first.post("/1/Subscription", ServerKeys.ADMIN, Docs.subscription("survives restarts", receiver.url().toString(), topic));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        id = a.json().get("id").asText();
        created = first.get("/1/Subscription/" + id, ServerKeys.ADMIN).body();
        produce(kafka, topic, 0, 50);
        receiver.awaitDeliveredCount(50, WAIT);
        // more while the first server is still running, some may be in flight when it stops
        produce(kafka, topic, 50, 100);
      }
      // and more while no server runs
      produce(kafka, topic, 100, 150);
      try (TestServer second = TestServer.start(kafka, data, clients)) {
        Answer again = second.get("/1/Subscription/" + id, ServerKeys.ADMIN);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(created);
        receiver.awaitDeliveredCount(150, WAIT);
        Set<Integer> seen = new HashSet<>();
        for (ReceivedMessage m : receiver.deliveredMessages()) {
          seen.add(m.value().get("n").asInt());
        }
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
          if (!seen.contains(i)) {
            missing.add(i);
          }
        }
        assertThat(missing).as("missing messages").isEmpty();
        assertThat(receiver.uniqueDeliveredIds()).hasSize(150);
      }
    }
  }

  static void produce(KafkaCluster kafka, String topic, int from, int to) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = from; i < to; i++) {
      records.add(new ProducerRecord<>(topic, "key-" + (i % 7), ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
    }
    kafka.produce(topic, records);
  }
}
