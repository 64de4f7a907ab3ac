package com.example.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Subscription;
import io.webhookd.WebhookBatch;
import io.webhookd.WebhookMessage;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WithKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole host application on a real broker: the engine with the host's destination, store and listener. */
@WithKafka
class HostAppTest {
  @TempDir Path outbox;

  @Test
  void exportsEveryMessageOfATopicToFiles(KafkaCluster kafka) {
    kafka.createTopic("exports", 3);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      records.add(new ProducerRecord<>("exports", "customer-" + (i % 7), ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
    }

    try (HostApp app = new HostApp(kafka.bootstrapServers(), outbox)) {
      Subscription sub = app.exportTopic("exports");
      kafka.produce("exports", records);

      await().atMost(Duration.ofSeconds(60)).until(() -> exportedIds().size() == 120);
      await().atMost(Duration.ofSeconds(30)).until(() -> app.deliveryLog().delivered(sub.id()) >= 120);
      assertThat(app.engine().status(sub.id())).isPresent();
    }
  }

  /** Reads the batch files back with webhookd's public parser. */
  private Set<String> exportedIds() {
    Set<String> ids = new LinkedHashSet<>();
    for (Path file : FileDestination.batchFiles(outbox)) {
      try {
        for (WebhookMessage m : WebhookBatch.parse(Files.readAllBytes(file)).messages()) {
          ids.add(m.id());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return ids;
  }
}
