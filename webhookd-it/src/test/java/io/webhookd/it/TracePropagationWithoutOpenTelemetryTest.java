package io.webhookd.it;

import static io.webhookd.it.EngineFixture.RECORD_SPAN;
import static io.webhookd.it.EngineFixture.RECORD_TRACE;
import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.topic;
import static io.webhookd.it.EngineFixture.traced;
import static io.webhookd.it.EngineFixture.tracedSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.Webhookd;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Trace propagation without spans: no {@code OpenTelemetry} given and none set globally. Runs
 * twice: with the OpenTelemetry API on the class path, and in the surefire execution {@code
 * without-opentelemetry}, where no io.opentelemetry jar is (webhookd-core's optional dependency
 * left out, as an application without OpenTelemetry has it). References no OpenTelemetry class.
 */
class TracePropagationWithoutOpenTelemetryTest extends ReceiverTestBase {

  TracePropagationWithoutOpenTelemetryTest(KafkaCluster kafka) {
    super(kafka);
  }

  @Test
  @EnabledIfSystemProperty(named = "webhookd.test.withoutOpenTelemetry", matches = "true")
  @DisplayName("in the execution without OpenTelemetry, its API is really absent")
  void openTelemetryIsAbsent() {
    assertThatThrownBy(() -> Class.forName("io.opentelemetry.api.OpenTelemetry")).isInstanceOf(ClassNotFoundException.class);
    assertThatThrownBy(() -> Class.forName("io.opentelemetry.context.Context")).isInstanceOf(ClassNotFoundException.class);
  }

  private static String[] traceparent(ReceivedRequest r) {
    String v = r.header("traceparent").orElseThrow(() -> new AssertionError("no traceparent in " + r.headers()));
    assertThat(v).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    return v.split("-");
  }

  @Test
  @DisplayName("a traced record's one-message batch carries its trace with a new span id per attempt (first answered 500)")
  void oneMessageBatchCarriesTheRecordsTrace() {
    String t = topic(kafka, "plain-traced", 1);
    receiver.failFirst(1, 500);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(tracedSpec(receiver.url().toString(), t, 1));
      kafka.produce(t, List.of(traced(t, 1, RECORD_TRACE, RECORD_SPAN)));
      List<ReceivedRequest> rs = receiver.awaitRequests(2, Duration.ofSeconds(30));
      assertThat(rs.get(0).respondedStatus()).isEqualTo(500);
      assertThat(rs.get(1).answeredSuccess()).isTrue();
      String[] first = traceparent(rs.get(0));
      String[] second = traceparent(rs.get(1));
      assertThat(first[1]).isEqualTo(RECORD_TRACE);
      assertThat(second[1]).isEqualTo(RECORD_TRACE);
      assertThat(first[3]).isEqualTo("01");
      assertThat(first[2]).isNotEqualTo(RECORD_SPAN).isNotEqualTo(second[2]).isNotEqualTo("0".repeat(16));
      assertThat(second[2]).isNotEqualTo(RECORD_SPAN).isNotEqualTo("0".repeat(16));
      assertThat(rs).allSatisfy(r -> assertThat(r.header("tracestate")).contains("rojo=00f067aa0ba902b7"));
    }
  }

  @Test
  @DisplayName("a batch of 3 traced records carries no trace of its own (only a tracer could link it); each message keeps its headers")
  void largerBatchCarriesNone() {
    String t = topic(kafka, "plain-batch", 1);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      records.add(traced(t, i, String.format("%032x", 0xdef0 + i), RECORD_SPAN));
    }
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(tracedSpec(receiver.url().toString(), t, 3));
      kafka.produce(t, records);
      ReceivedRequest r = receiver.awaitRequests(1, Duration.ofSeconds(30)).get(0);
      assertThat(r.messages()).hasSize(3);
      assertThat(r.header("traceparent")).isEmpty();
      assertThat(r.header("tracestate")).isEmpty();
      assertThat(r.messages()).extracting(m -> m.headers().get("traceparent")).containsExactly(
          "00-" + String.format("%032x", 0xdef0) + "-" + RECORD_SPAN + "-01",
          "00-" + String.format("%032x", 0xdef1) + "-" + RECORD_SPAN + "-01",
          "00-" + String.format("%032x", 0xdef2) + "-" + RECORD_SPAN + "-01");
    }
  }

  @Test
  @DisplayName("invalid traceparents (all-zero ids, upper case) are ignored: delivered, no trace header, the body keeps them")
  void invalidTraceparentIsIgnored() {
    String t = topic(kafka, "plain-invalid", 1);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(tracedSpec(receiver.url().toString(), t, 1));
      kafka.produce(t, List.of(
          traced(t, 1, "0".repeat(32), RECORD_SPAN),
          traced(t, 2, RECORD_TRACE, "0".repeat(16)),
          traced(t, 3, RECORD_TRACE.toUpperCase(java.util.Locale.ROOT), RECORD_SPAN)));
      List<ReceivedRequest> rs = receiver.awaitRequests(3, Duration.ofSeconds(30));
      assertThat(rs).allSatisfy(r -> {
        assertThat(r.answeredSuccess()).isTrue();
        assertThat(r.header("traceparent")).isEmpty();
        assertThat(r.header("tracestate")).isEmpty();
        assertThat(r.messages()).singleElement().satisfies(m -> assertThat(m.headers()).containsKey("traceparent"));
      });
      assertThat(receiver.uniqueDeliveredIds()).hasSize(3);
    }
  }
}
