package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.spi.RowFilterPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

/** What a subscription's consumer is configured with, and what a configured Kafka property may override. */
class ConsumerPropertiesTest {
  private static Engine.Config config(Map<String, Object> kafka) {
    return new Engine.Config(kafka, null, null, List.of(), null, null, RowFilterPolicy.NONE,
        Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO, Duration.ofHours(1), 100);
  }

  private static Subscription subscription(Duration interval) {
    SubscriptionSpec spec =
        SubscriptionSpec.builder().name("p").webhookUrl("http://hook.example/x").source("orders").maxBatchInterval(interval).build();
    return new Subscription("sub-7", spec, null, 1, Instant.now(), Instant.now());
  }

  @Test
  void defaults() {
    Map<String, Object> p = Engine.consumerProperties(config(Map.of()), subscription(Duration.ofMillis(250)));
    assertThat(p)
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "webhooks-sub-7")
        .containsEntry(ConsumerConfig.RECEIVE_BUFFER_CONFIG, -1)
        .containsEntry(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 250);
  }

  @Test
  void fetchWaitFollowsTheBatchIntervalBetween100And500Ms() {
    assertThat(Engine.fetchMaxWaitMillis(subscription(Duration.ofMillis(1)))).isEqualTo(100);
    assertThat(Engine.fetchMaxWaitMillis(subscription(Duration.ofMillis(100)))).isEqualTo(100);
    assertThat(Engine.fetchMaxWaitMillis(subscription(Duration.ofMillis(333)))).isEqualTo(333);
    assertThat(Engine.fetchMaxWaitMillis(subscription(Duration.ofMillis(500)))).isEqualTo(500);
    assertThat(Engine.fetchMaxWaitMillis(subscription(SubscriptionSpec.DEFAULT_MAX_BATCH_INTERVAL))).isEqualTo(500);
    assertThat(Engine.fetchMaxWaitMillis(subscription(Duration.ofSeconds(300)))).isEqualTo(500);
  }

  @Test
  void configuredPropertiesOverrideTheDefaultsButNotWhatWebhookdNeeds() {
    Map<String, Object> p =
        Engine.consumerProperties(
            config(Map.of(
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 40,
                ConsumerConfig.RECEIVE_BUFFER_CONFIG, 65536,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true,
                ConsumerConfig.GROUP_ID_CONFIG, "someone-else")),
            subscription(Duration.ofSeconds(1)));
    assertThat(p)
        .containsEntry(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 40)
        .containsEntry(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 65536)
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "webhooks-sub-7");
  }

  @Test
  void theClassicProtocolGetsASessionTimeoutTheConsumerProtocolDoesNot() {
    assertThat(Engine.consumerProperties(config(Map.of()), subscription(Duration.ofSeconds(1))))
        .containsEntry(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
    assertThat(Engine.consumerProperties(config(Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "CONSUMER")), subscription(Duration.ofSeconds(1))))
        .doesNotContainKey(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)
        .doesNotContainKey(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG)
        .doesNotContainKey(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
  }

  @Test
  void kafkasOwnCheckAcceptsWhatTheEngineConfiguresForEitherProtocol() {
    for (String protocol : List.of("classic", "consumer")) {
      Map<String, Object> p =
          Engine.consumerProperties(
              config(Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol, ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092")),
              subscription(Duration.ofSeconds(1)));
      new ConsumerConfig(p); // throws ConfigException on what the protocol refuses
    }
  }
}
