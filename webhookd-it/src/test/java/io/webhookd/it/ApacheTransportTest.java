package io.webhookd.it;

import static io.webhookd.it.DeliveryTest.addIds;
import static io.webhookd.it.DeliveryTest.assertOrderedPerPartition;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.http.apache.ApacheHttpDestination;
import io.webhookd.testkit.KafkaCluster;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The engine with {@code webhookd-http-apache} instead of the JDK transport, on the real broker. */
class ApacheTransportTest extends ReceiverTestBase {

  ApacheTransportTest(KafkaCluster kafka) {
    super(kafka);
  }

  private Webhookd.Builder engine() {
    return Webhookd.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .destination(ApacheHttpDestination.builder().allowPrivateDestinations(true).build())
        .requestTimeout(Duration.ofSeconds(5))
        .shutdownTimeout(Duration.ofSeconds(10));
  }

  @Test
  @DisplayName("thousands of messages, the first requests refused with 503: none missing, order kept per partition, retried until accepted")
  void deliversEverythingThroughFailures() {
    String t = topic(kafka, "apache", 3);
    receiver.failFirst(6, 503);
    try (Webhookd engine = engine().build()) {
      engine.subscribe(
          SubscriptionSpec.builder()
              .name("apache")
              .webhookUrl(receiver.url().toString())
              .source(t)
              .maxBatchSize(50)
              .maxBatchInterval(Duration.ofMillis(100))
              .retryInitialDelay(Duration.ofMillis(50))
              .retryMaxDelay(Duration.ofMillis(200))
              .build());
      kafka.produce(t, jsonMessages(t, 0, 3000));

      receiver.awaitDeliveredCount(3000, Duration.ofSeconds(60));
    }
    Set<String> expected = new HashSet<>();
    kafka.endOffsets(t).forEach((tp, end) -> addIds(expected, tp, end));
    assertThat(expected).hasSize(3000);
    assertThat(receiver.uniqueDeliveredIds()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(receiver.requests().stream().filter(r -> r.respondedStatus() == 503)).hasSize(6);
    assertThat(receiver.requests()).allSatisfy(r -> assertThat(r.messages()).hasSizeBetween(1, 50));
    assertOrderedPerPartition(receiver.deliveredMessages());
  }
}
