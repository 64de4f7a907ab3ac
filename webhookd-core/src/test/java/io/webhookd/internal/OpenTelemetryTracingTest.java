package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerBuilder;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.webhookd.spi.DeliveryResult;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The spans of delivery attempts, on the OpenTelemetry SDK with its in-memory exporter. */
class OpenTelemetryTracingTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final TraceParent RECORD = new TraceParent(TRACE, "00f067aa0ba902b7", 1, "rojo=1");

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
      .build();

  @AfterEach
  void close() {
    sdk.close();
    GlobalOpenTelemetry.resetForTest();
  }

  private static DeliveryResult status(int code) {
    return DeliveryResult.response(code, Map.of(), "", Duration.ofMillis(3));
  }

  private static List<@Nullable TraceParent> contexts(@Nullable TraceParent... c) {
    return Arrays.asList(c);
  }

  @Test
  @DisplayName("one traced message: the span is the record's child, the request carries the span's context, attributes set")
  void oneMessageSpanIsTheRecordsChild() {
    Tracing tracing = Tracing.create(sdk);
    Tracing.Attempt a = tracing.start("sub-1", "batch-1", contexts(RECORD), 1);
    a.end(status(200));

    SpanData span = exporter.getFinishedSpanItems().get(0);
    assertThat(span.getName()).isEqualTo(OpenTelemetryTracing.SPAN_NAME);
    assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(span.getTraceId()).isEqualTo(TRACE);
    assertThat(span.getParentSpanId()).isEqualTo(RECORD.spanId());
    assertThat(span.getParentSpanContext().isRemote()).isTrue();
    assertThat(span.getSpanId()).isNotEqualTo(RECORD.spanId());
    assertThat(span.getLinks()).isEmpty();
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(span.getAttributes().asMap()).containsAllEntriesOf(Map.of(
        OpenTelemetryTracing.SUBSCRIPTION_ID, "sub-1",
        OpenTelemetryTracing.BATCH_ID, "batch-1",
        OpenTelemetryTracing.BATCH_SIZE, 1L,
        OpenTelemetryTracing.ATTEMPT, 1L,
        OpenTelemetryTracing.HTTP_METHOD, "POST",
        OpenTelemetryTracing.HTTP_STATUS_CODE, 200L));
    assertThat(span.getAttributes().get(OpenTelemetryTracing.ERROR_TYPE)).isNull();
    assertThat(a.context()).isEqualTo(new TraceParent(TRACE, span.getSpanId(), 1, "rojo=1"));
  }

  @Test
  @DisplayName("a failed attempt's span: error status, error.type and the status code; the next attempt is another span")
  void failedAttemptIsAnError() {
    Tracing tracing = Tracing.create(sdk);
    Tracing.Attempt first = tracing.start("sub-1", "batch-1", contexts(RECORD), 1);
    first.end(status(500));
    Tracing.Attempt second = tracing.start("sub-1", "batch-1", contexts(RECORD), 2);
    second.end(DeliveryResult.failure(new ConnectException("refused by https://user:secret@example.com"), Duration.ZERO, true));

    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertThat(spans).hasSize(2);
    SpanData s1 = spans.get(0);
    assertThat(s1.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(s1.getStatus().getDescription()).isEqualTo("HTTP 500");
    assertThat(s1.getAttributes().get(OpenTelemetryTracing.ERROR_TYPE)).isEqualTo("500");
    assertThat(s1.getAttributes().get(OpenTelemetryTracing.HTTP_STATUS_CODE)).isEqualTo(500L);
    SpanData s2 = spans.get(1);
    assertThat(s2.getAttributes().get(OpenTelemetryTracing.ATTEMPT)).isEqualTo(2L);
    assertThat(s2.getAttributes().get(OpenTelemetryTracing.HTTP_STATUS_CODE)).isNull();
    assertThat(s2.getAttributes().get(OpenTelemetryTracing.ERROR_TYPE)).isEqualTo(ConnectException.class.getName());
    assertThat(s2.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(s2.getStatus().getDescription()).doesNotContain("secret");
    assertThat(s2.getEvents()).isEmpty();
    assertThat(s1.getSpanId()).isNotEqualTo(s2.getSpanId());
    assertThat(first.context().spanId()).isEqualTo(s1.getSpanId());
    assertThat(second.context().spanId()).isEqualTo(s2.getSpanId());
  }

  @Test
  @DisplayName("a larger batch: a new trace whose span links to each traced message's context")
  void largerBatchStartsANewTraceWithLinks() {
    TraceParent other = new TraceParent("11111111111111111111111111111111", "2222222222222222", 0, null);
    Tracing.Attempt a = Tracing.create(sdk).start("sub-1", "batch-2", contexts(RECORD, null, other), 1);
    a.end(status(204));

    SpanData span = exporter.getFinishedSpanItems().get(0);
    assertThat(span.getTraceId()).isNotIn(TRACE, other.traceId());
    assertThat(span.getParentSpanContext().isValid()).isFalse();
    assertThat(span.getLinks()).extracting(l -> l.getSpanContext().getTraceId() + "/" + l.getSpanContext().getSpanId())
        .containsExactly(TRACE + "/" + RECORD.spanId(), other.traceId() + "/" + other.spanId());
    assertThat(span.getLinks()).extracting(LinkData::getSpanContext).allSatisfy(c -> assertThat(c.isRemote()).isTrue());
    assertThat(span.getAttributes().get(OpenTelemetryTracing.BATCH_SIZE)).isEqualTo(3L);
    // the SDK sets W3C level 2's random flag beside sampled
    assertThat(a.context()).isEqualTo(new TraceParent(span.getTraceId(), span.getSpanId(), span.getSpanContext().getTraceFlags().asByte(), null));
    assertThat(a.context().flags() & 1).isEqualTo(1);
  }

  @Test
  @DisplayName("a one-message batch without a context gets a span of a new trace, which the request carries")
  void untracedMessageGetsANewTrace() {
    Tracing.Attempt a = Tracing.create(sdk).start("sub-1", "batch-3", contexts((TraceParent) null), 1);
    a.end(status(200));
    SpanData span = exporter.getFinishedSpanItems().get(0);
    assertThat(span.getParentSpanContext().isValid()).isFalse();
    assertThat(span.getLinks()).isEmpty();
    assertThat(a.context().traceId()).isEqualTo(span.getTraceId());
  }

  @Test
  @DisplayName("a no-op OpenTelemetry: no span, and the request still carries the record's trace with a new span id")
  void noopOpenTelemetryStillPropagates() {
    Tracing tracing = Tracing.create(OpenTelemetry.noop());
    TraceParent sent = tracing.start("sub-1", "b", contexts(RECORD), 1).context();
    assertThat(sent.traceId()).isEqualTo(TRACE);
    assertThat(sent.spanId()).isNotEqualTo(RECORD.spanId());
    assertThat(sent.traceState()).isEqualTo("rojo=1");
    assertThat(tracing.start("sub-1", "b", contexts(RECORD, RECORD), 1).context()).isNull();
  }

  @Test
  @DisplayName("without an OpenTelemetry given, the global one is used once the application sets it, and is never set by webhookd")
  void usesTheGlobalOnceSet() {
    Tracing tracing = Tracing.create(null);
    Tracing.Attempt before = tracing.start("sub-1", "b", contexts(RECORD), 1);
    before.end(status(200));
    assertThat(before.context().traceId()).isEqualTo(TRACE);
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    assertThat(GlobalOpenTelemetry.isSet()).isFalse(); // webhookd did not fix it to a no-op

    GlobalOpenTelemetry.set(sdk);
    Tracing.Attempt after = tracing.start("sub-1", "b", contexts(RECORD), 2);
    after.end(status(200));
    assertThat(exporter.getFinishedSpanItems()).hasSize(1);
    assertThat(after.context().spanId()).isEqualTo(exporter.getFinishedSpanItems().get(0).getSpanId());
  }

  @Test
  @DisplayName("a tracer that throws does not stop the attempt: it goes on with the record's trace, without a span")
  void throwingTracerIsIgnored() {
    Tracer broken = spanName -> {
      throw new IllegalStateException("broken tracer");
    };
    OpenTelemetry otel = new OpenTelemetry() {
      @Override
      public TracerProvider getTracerProvider() {
        return new TracerProvider() {
          @Override
          public Tracer get(String name) {
            return broken;
          }

          @Override
          public Tracer get(String name, String version) {
            return broken;
          }

          @Override
          public TracerBuilder tracerBuilder(String name) {
            return new TracerBuilder() {
              @Override
              public TracerBuilder setSchemaUrl(String url) {
                return this;
              }

              @Override
              public TracerBuilder setInstrumentationVersion(String version) {
                return this;
              }

              @Override
              public Tracer build() {
                return broken;
              }
            };
          }
        };
      }

      @Override
      public ContextPropagators getPropagators() {
        return ContextPropagators.noop();
      }
    };
    Tracing.Attempt a = Tracing.create(otel).start("sub-1", "b", contexts(RECORD), 1);
    a.end(status(200));
    assertThat(a.context().traceId()).isEqualTo(TRACE);
    assertThat(a.context().spanId()).isNotEqualTo(RECORD.spanId());
  }
}
