package com.example.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.SubscriptionSpec;
import io.webhookd.WebhookBatch;
import io.webhookd.WebhookVerifier;
import io.webhookd.Webhookd;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WithKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The JUnit 5 example of the main README, as a user writes it. */
@WithKafka
class WebhookTest {

  @Test
  void deliversSignedBatches(KafkaCluster kafka) {
    kafka.createTopic("orders", 1);
    String secret = WebhookVerifier.newSecret();
    try (WebhookReceiver hook = WebhookReceiver.start();
        Webhookd webhookd = Webhookd.builder()
            .bootstrapServers(kafka.bootstrapServers())
            // the receiver listens on 127.0.0.1, which the SSRF guard refuses unless told otherwise
            .destination(JdkHttpDestination.builder().allowPrivateDestinations(true).build())
            .build()) {
      webhookd.subscribe(SubscriptionSpec.builder()
          .name("orders")
          .webhookUrl(hook.url().toString())
          .signingSecret(secret)
          .source("orders")
          .build());

      kafka.produce("orders", List.of(new ProducerRecord<>("orders", "customer-7", "{\"amount\":120}".getBytes(StandardCharsets.UTF_8))));

      hook.awaitDeliveredCount(1, Duration.ofSeconds(30));
      ReceivedRequest request = hook.requests().get(0);
      WebhookBatch batch = WebhookVerifier.of(secret).verify(request.headers(), request.body());
      assertThat(batch.messages().get(0).value()).isEqualTo("{\"amount\":120}");
      assertThat(batch.messages().get(0).key()).isEqualTo("customer-7");
    }
  }
}
