package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.topic;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.SubscriptionSpec;
import io.webhookd.WebhookBatch;
import io.webhookd.WebhookMessage;
import io.webhookd.WebhookVerificationException;
import io.webhookd.WebhookVerifier;
import io.webhookd.Webhookd;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The public receiver-side verifier on real requests of a running engine. */
class WebhookVerifierDeliveryTest extends ReceiverTestBase {

  WebhookVerifierDeliveryTest(KafkaCluster kafka) {
    super(kafka);
  }

  @Test
  @DisplayName("a receiver verifies every real request of the engine (first attempts and retries) with WebhookVerifier and reads back each message as produced")
  void verifiesRealDeliveries() {
    String t = topic(kafka, "verified", 2);
    String secret = WebhookVerifier.newSecret();
    // a receiver in the middle of a rotation: the old secret and the subscription's
    WebhookVerifier verifier = WebhookVerifier.of(WebhookVerifier.newSecret(), secret);
    List<WebhookBatch> verified = new CopyOnWriteArrayList<>();
    List<String> refused = new CopyOnWriteArrayList<>();
    receiver.respondWith((n, request) -> {
      try {
        WebhookBatch batch = verifier.verify(request.headers(), request.body());
        verified.add(batch);
        return n == 1 ? Response.status(503) : Response.ok(); // the first is retried: verified twice
      } catch (WebhookVerificationException e) {
        refused.add(e.getMessage());
        return Response.status(e.reason().httpStatus());
      }
    });
    Map<String, byte[]> produced = new LinkedHashMap<>();
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] value = switch (i % 3) {
        case 0 -> ("{\"n\":" + i + ",\"price\":12345678901234567890.5}").getBytes(UTF_8);
        case 1 -> ("text \u00e9 " + i).getBytes(UTF_8);
        default -> new byte[] {(byte) 0xff, (byte) i, 0};
      };
      records.add(new ProducerRecord<>(t, "key-" + i, value));
      produced.put("key-" + i, value);
    }

    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(SubscriptionSpec.builder().name("verified").webhookUrl(receiver.url().toString())
          .signingSecret(secret).source(t).maxBatchSize(7).maxBatchInterval(Duration.ofMillis(50))
          .retryInitialDelay(Duration.ofMillis(10)).build());
      kafka.produce(t, records);
      receiver.awaitDeliveredCount(30, Duration.ofSeconds(60));
    }

    assertThat(refused).isEmpty();
    assertThat(verified).hasSizeGreaterThanOrEqualTo(receiver.requestCount());
    Map<String, WebhookMessage> byId = new LinkedHashMap<>();
    for (WebhookBatch b : verified) {
      b.messages().forEach(m -> byId.putIfAbsent(m.id(), m)); // deduplicate on (topic, partition, offset)
    }
    assertThat(byId).hasSize(30);
    for (WebhookMessage m : byId.values()) {
      assertThat(m.topic()).isEqualTo(t);
      assertThat(m.valueBytes()).as("value of %s", m.key()).isEqualTo(produced.get(m.key()));
    }
    assertThat(verified.stream().map(WebhookBatch::batchId).distinct().count())
        .as("the retried batch keeps its id").isLessThan(verified.size());
  }
}
