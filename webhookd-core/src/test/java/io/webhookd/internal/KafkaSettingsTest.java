package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.Problem;
import io.webhookd.ValidationException;
import io.webhookd.spi.RowFilterPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Kafka properties an engine refuses when it starts, instead of failing in every consumer thread. */
class KafkaSettingsTest {
  private static Engine.Config config(Map<String, Object> kafka, Duration requestTimeout) {
    return new Engine.Config(kafka, null, null, List.of(), null, null, RowFilterPolicy.NONE,
        requestTimeout, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO, Duration.ofHours(1), 100);
  }

  private static List<Problem> problems(Map<String, Object> kafka, Duration requestTimeout) {
    try {
      KafkaSettings.check(config(kafka, requestTimeout));
      return List.of();
    } catch (ValidationException e) {
      return e.problems();
    }
  }

  @Test
  @DisplayName("defaults pass, on either protocol")
  void defaultsPass() {
    assertThatCode(() -> KafkaSettings.check(config(Map.of(), Duration.ofSeconds(30)))).doesNotThrowAnyException();
    assertThatCode(() -> KafkaSettings.check(config(Map.of("group.protocol", "consumer"), Duration.ofSeconds(30))))
        .doesNotThrowAnyException();
  }

  @Test
  @DisplayName("the consumer protocol: every classic-only property is named at once")
  void consumerProtocolRefusesClassicOnlyProperties() {
    List<Problem> ps =
        problems(
            Map.of("group.protocol", "consumer", "session.timeout.ms", 10_000, "heartbeat.interval.ms", 3000,
                "partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor"),
            Duration.ofSeconds(30));
    assertThat(ps).extracting(Problem::field)
        .containsExactlyInAnyOrder("kafka.session.timeout.ms", "kafka.heartbeat.interval.ms", "kafka.partition.assignment.strategy");
    assertThat(ps.get(0).message()).contains("group.protocol=consumer");
    assertThat(problems(Map.of("session.timeout.ms", 10_000), Duration.ofSeconds(30))).isEmpty();
  }

  @Test
  @DisplayName("max.poll.interval.ms at or below the revoke wait (request timeout + 5 s) is refused, naming both")
  void maxPollIntervalMustExceedTheRevokeWait() {
    assertThat(problems(Map.of("max.poll.interval.ms", 3000), Duration.ofSeconds(10)))
        .singleElement()
        .satisfies(p -> {
          assertThat(p.field()).isEqualTo("kafka.max.poll.interval.ms");
          assertThat(p.message()).contains("15000 ms").contains("was 3000");
        });
    assertThat(problems(Map.of("max.poll.interval.ms", "15000"), Duration.ofSeconds(10))).hasSize(1);
    assertThat(problems(Map.of("max.poll.interval.ms", "15001"), Duration.ofSeconds(10))).isEmpty();
    assertThat(problems(Map.of("max.poll.interval.ms", "soon"), Duration.ofSeconds(10))).hasSize(1);
  }

  @Test
  @DisplayName("a request timeout that Kafka's default max.poll.interval.ms (5 min) cannot cover is refused")
  void requestTimeoutBeyondTheDefaultPollInterval() {
    assertThat(problems(Map.of(), Duration.ofSeconds(296))).singleElement()
        .satisfies(p -> assertThat(p.field()).isEqualTo("requestTimeout"));
    assertThat(problems(Map.of("max.poll.interval.ms", 600_000), Duration.ofSeconds(296))).isEmpty();
  }
}
