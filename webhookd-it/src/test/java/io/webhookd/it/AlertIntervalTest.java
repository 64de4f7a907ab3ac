package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.RetryAlgorithm;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.spi.Alert;
import io.webhookd.spi.AlertChannel;
import io.webhookd.testkit.KafkaCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.DisplayName;

/** The unhealthy alert states the interval at which the failing batch is really retried. */
class AlertIntervalTest extends ReceiverTestBase {

  AlertIntervalTest(KafkaCluster kafka) {
    super(kafka);
  }

  @ParameterizedTest(name = "{0}, initial {1} ms, max {2} ms: every {3}")
  @CsvSource({"FIXED_TIME, 200, 60000, 200 ms", "FIXED_TIME, 1000, 60000, 1 s"})
  @DisplayName("fixed_time: the unhealthy alert says the batch is retried at the fixed delay, not at max_delay_ms")
  void unhealthyAlertStatesTheRealInterval(RetryAlgorithm algorithm, long initialMs, long maxMs, String every) {
    String t = topic(kafka, "alert-interval", 1);
    receiver.alwaysRespond(500);
    List<Alert> alerts = new CopyOnWriteArrayList<>();
    AlertChannel capture = alert -> {
      alerts.add(alert);
      return CompletableFuture.completedFuture(null);
    };
    try (Webhookd engine = engine(kafka).alertChannel(capture).alertMinInterval(Duration.ZERO).build()) {
      engine.subscribe(SubscriptionSpec.builder().name("alert-interval").webhookUrl(receiver.url().toString()).source(t)
          .maxBatchSize(1).maxRetries(1).retryAlgorithm(algorithm).retryInitialDelay(Duration.ofMillis(initialMs))
          .retryMaxDelay(Duration.ofMillis(maxMs)).alertEmails(List.of("ops@example.com")).build());
      kafka.produce(t, jsonMessages(t, 0, 1));
      await().atMost(Duration.ofSeconds(30)).until(() -> alerts.stream().anyMatch(a -> a.kind() == Alert.Kind.UNHEALTHY));
    }
    Alert unhealthy = alerts.stream().filter(a -> a.kind() == Alert.Kind.UNHEALTHY).findFirst().orElseThrow();
    assertThat(unhealthy.nextStep()).contains("every " + every);
  }
}
