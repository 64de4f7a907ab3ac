package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.topic;
import static io.webhookd.it.EngineFixture.traced;
import static io.webhookd.it.EngineFixture.tracedSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.webhookd.Subscription;
import io.webhookd.Webhookd;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Trace propagation end to end, with spans: a real broker, the JDK transport, the test receiver,
 * and the OpenTelemetry SDK exporting to memory. ({@link TracePropagationWithoutOpenTelemetryTest}
 * covers the same without spans.)
 */
class TracePropagationTest extends ReceiverTestBase {
  private static final String RECORD_TRACE = EngineFixture.RECORD_TRACE;
  private static final String RECORD_SPAN = EngineFixture.RECORD_SPAN;
  private static final AttributeKey<String> SUBSCRIPTION_ID = AttributeKey.stringKey("webhookd.subscription.id");
  private static final AttributeKey<String> BATCH_ID = AttributeKey.stringKey("webhookd.batch.id");
  private static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("webhookd.batch.size");
  private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("webhookd.attempt");
  private static final AttributeKey<Long> STATUS_CODE = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
      .build();

  TracePropagationTest(KafkaCluster kafka) {
    super(kafka);
  }

  @AfterEach
  void closeSdk() {
    otel.close();
  }

  private List<SpanData> awaitSpans(int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> exporter.getFinishedSpanItems().size() >= n);
    return exporter.getFinishedSpanItems();
  }

  private static String[] traceparent(ReceivedRequest r) {
    String v = r.header("traceparent").orElseThrow(() -> new AssertionError("no traceparent in " + r.headers()));
    assertThat(v).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    return v.split("-");
  }

  @Test
  @DisplayName("a traced record reaches the webhook with its trace id and the attempt span's id; the span is the record's child")
  void tracedRecordReachesTheWebhook() {
    String t = topic(kafka, "traced-one", 1);
    try (Webhookd engine = engine(kafka).openTelemetry(otel).build()) {
      Subscription s = engine.subscribe(tracedSpec(receiver.url().toString(), t, 1));
      kafka.produce(t, List.of(traced(t, 1, RECORD_TRACE, RECORD_SPAN)));
      ReceivedRequest r = receiver.awaitRequests(1, Duration.ofSeconds(30)).get(0);
      String[] tp = traceparent(r);
      assertThat(tp[1]).isEqualTo(RECORD_TRACE);
      assertThat(tp[2]).isNotEqualTo(RECORD_SPAN);
      assertThat(tp[3]).isEqualTo("01");
      assertThat(r.header("tracestate")).contains("rojo=00f067aa0ba902b7");
      // the message keeps its own headers in the body
      assertThat(r.messages().get(0).headers()).containsEntry("traceparent", "00-" + RECORD_TRACE + "-" + RECORD_SPAN + "-01");

      SpanData span = awaitSpans(1).get(0);
      assertThat(span.getName()).isEqualTo("webhookd.delivery");
      assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(span.getTraceId()).isEqualTo(RECORD_TRACE);
      assertThat(span.getParentSpanId()).isEqualTo(RECORD_SPAN);
      assertThat(span.getSpanId()).isEqualTo(tp[2]);
      assertThat(span.getAttributes().get(SUBSCRIPTION_ID)).isEqualTo(s.id());
      assertThat(span.getAttributes().get(BATCH_ID)).isEqualTo(r.batchId());
      assertThat(span.getAttributes().get(BATCH_SIZE)).isEqualTo(1L);
      assertThat(span.getAttributes().get(ATTEMPT)).isEqualTo(1L);
      assertThat(span.getAttributes().get(STATUS_CODE)).isEqualTo(200L);
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    }
  }

  @Test
  @DisplayName("two attempts (the first answered 500) carry two span ids of the record's trace, each its attempt's span")
  void eachAttemptHasItsOwnSpan() {
    String t = topic(kafka, "traced-retry", 1);
    receiver.failFirst(1, 500);
    try (Webhookd engine = engine(kafka).openTelemetry(otel).build()) {
      engine.subscribe(tracedSpec(receiver.url().toString(), t, 1));
      kafka.produce(t, List.of(traced(t, 1, RECORD_TRACE, RECORD_SPAN)));
      List<ReceivedRequest> rs = receiver.awaitRequests(2, Duration.ofSeconds(30));
      String[] first = traceparent(rs.get(0));
      String[] second = traceparent(rs.get(1));
      assertThat(rs.get(0).batchId()).isEqualTo(rs.get(1).batchId());
      assertThat(first[1]).isEqualTo(RECORD_TRACE);
      assertThat(second[1]).isEqualTo(RECORD_TRACE);
      assertThat(first[2]).isNotEqualTo(second[2]).isNotEqualTo(RECORD_SPAN);
      assertThat(second[2]).isNotEqualTo(RECORD_SPAN);

      List<SpanData> spans = awaitSpans(2);
      SpanData failed = spans.get(0);
      SpanData ok = spans.get(1);
      assertThat(failed.getSpanId()).isEqualTo(first[2]);
      assertThat(failed.getAttributes().get(ATTEMPT)).isEqualTo(1L);
      assertThat(failed.getAttributes().get(STATUS_CODE)).isEqualTo(500L);
      assertThat(failed.getAttributes().get(ERROR_TYPE)).isEqualTo("500");
      assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(ok.getSpanId()).isEqualTo(second[2]);
      assertThat(ok.getAttributes().get(ATTEMPT)).isEqualTo(2L);
      assertThat(ok.getAttributes().get(STATUS_CODE)).isEqualTo(200L);
      assertThat(ok.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(spans).allSatisfy(sp -> assertThat(sp.getParentSpanId()).isEqualTo(RECORD_SPAN));
    }
  }

  @Test
  @DisplayName("a batch of 3 traced records: the request carries a new trace whose span links to the 3 records' contexts")
  void batchStartsANewTraceWithLinks() {
    String t = topic(kafka, "traced-batch", 1);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    List<String> contexts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String trace = String.format("%032x", 0xabc0 + i);
      String span = String.format("%016x", 0x5150 + i);
      records.add(traced(t, i, trace, span));
      contexts.add(trace + "/" + span);
    }
    try (Webhookd engine = engine(kafka).openTelemetry(otel).build()) {
      engine.subscribe(tracedSpec(receiver.url().toString(), t, 3));
      kafka.produce(t, records);
      ReceivedRequest r = receiver.awaitRequests(1, Duration.ofSeconds(30)).get(0);
      assertThat(r.messages()).hasSize(3);
      String[] tp = traceparent(r);
      assertThat(contexts).noneMatch(c -> c.startsWith(tp[1]));
      assertThat(r.messages()).extracting(m -> m.headers().get("traceparent"))
          .containsExactly(contexts.stream().map(c -> "00-" + c.replace('/', '-') + "-01").toArray(String[]::new));

      SpanData span = awaitSpans(1).get(0);
      assertThat(span.getTraceId()).isEqualTo(tp[1]);
      assertThat(span.getSpanId()).isEqualTo(tp[2]);
      assertThat(span.getParentSpanContext().isValid()).isFalse();
      assertThat(span.getLinks()).extracting(l -> l.getSpanContext().getTraceId() + "/" + l.getSpanContext().getSpanId())
          .containsExactlyElementsOf(contexts);
      assertThat(span.getAttributes().get(BATCH_SIZE)).isEqualTo(3L);
      assertThat(span.getAttributes().get(STATUS_CODE)).isEqualTo(200L);
    }
  }

  @Test
  @DisplayName("an invalid traceparent (all-zero trace id) is ignored: the span starts a new trace, the message is delivered")
  void invalidTraceparentIsIgnored() {
    String t = topic(kafka, "traced-invalid", 1);
    try (Webhookd engine = engine(kafka).openTelemetry(otel).build()) {
      engine.subscribe(tracedSpec(receiver.url().toString(), t, 1));
      kafka.produce(t, List.of(traced(t, 1, "0".repeat(32), RECORD_SPAN)));
      ReceivedRequest r = receiver.awaitRequests(1, Duration.ofSeconds(30)).get(0);
      assertThat(r.answeredSuccess()).isTrue();
      String[] tp = traceparent(r);
      assertThat(tp[1]).isNotEqualTo("0".repeat(32));
      assertThat(r.header("tracestate")).isEmpty();
      SpanData span = awaitSpans(1).get(0);
      assertThat(span.getTraceId()).isEqualTo(tp[1]);
      assertThat(span.getParentSpanContext().isValid()).isFalse();
      assertThat(span.getLinks()).isEmpty();
    }
  }
}
