package io.webhookd.internal;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.webhookd.spi.DeliveryResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A span for each delivery attempt, through the OpenTelemetry API: the only class that references
 * OpenTelemetry, loaded only when its API is on the class path ({@link Tracing#create}).
 *
 * <p>The span ({@value #SPAN_NAME}, kind CLIENT) of a one-message batch whose record carries a
 * context is that context's child; any other batch's is the root of a new trace, with a link to
 * each message's context. The request carries the span's context ({@code traceparent} and {@code
 * tracestate}, W3C format). Without an {@code
 * OpenTelemetry} given, {@code GlobalOpenTelemetry} is used once the application has set it
 * (webhookd never sets it: reading it too early would fix it to a no-op), on API versions that can
 * tell ({@code GlobalOpenTelemetry.isSet()}); until then, and with a no-op tracer, the request
 * carries what {@link Tracing#PROPAGATE} would.
 *
 * <p>A tracer that throws never stops a delivery: the attempt goes on without a span, logged
 * once. Thread-safe.
 */
final class OpenTelemetryTracing implements Tracing {
  private static final Logger log = LoggerFactory.getLogger(OpenTelemetryTracing.class);

  static final String INSTRUMENTATION_NAME = "io.webhookd";
  static final String SPAN_NAME = "webhookd.delivery";
  static final AttributeKey<String> SUBSCRIPTION_ID = AttributeKey.stringKey("webhookd.subscription.id");
  static final AttributeKey<String> BATCH_ID = AttributeKey.stringKey("webhookd.batch.id");
  static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("webhookd.batch.size");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("webhookd.attempt");
  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> HTTP_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private static final TextMapGetter<TraceParent> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(TraceParent carrier) {
          return List.of(TraceParent.TRACEPARENT, TraceParent.TRACESTATE);
        }

        @Override
        public @Nullable String get(@Nullable TraceParent carrier, String key) {
          if (carrier == null) {
            return null;
          }
          return switch (key) {
            case TraceParent.TRACEPARENT -> carrier.header();
            case TraceParent.TRACESTATE -> carrier.traceState();
            default -> null;
          };
        }
      };

  /**
   * {@code GlobalOpenTelemetry.isSet()} exists (recent API versions; 1.55.0, which Spring Boot 4.0
   * manages, lacks it). Without it the global is never read: {@code GlobalOpenTelemetry.get()}
   * would fix an unset global to a no-op, and the application's own {@code set} would then throw.
   */
  private static volatile boolean globalIsSetKnown = true;

  private final AtomicBoolean warned = new AtomicBoolean();
  /** The given one's tracer, or the global's once it is set. */
  private volatile @Nullable Tracer tracer;

  OpenTelemetryTracing(@Nullable Object openTelemetry) {
    this.tracer = openTelemetry == null ? null : tracerOf((OpenTelemetry) openTelemetry);
  }

  private static Tracer tracerOf(OpenTelemetry otel) {
    return otel.getTracerProvider().tracerBuilder(INSTRUMENTATION_NAME).setInstrumentationVersion(Version.VERSION).build();
  }

  private @Nullable Tracer tracer() {
    Tracer t = tracer;
    if (t == null) {
      OpenTelemetry global = globalIfSet();
      if (global != null) {
        t = tracerOf(global);
        tracer = t;
      }
    }
    return t;
  }

  private static @Nullable OpenTelemetry globalIfSet() {
    if (globalIsSetKnown) {
      try {
        return GlobalOpenTelemetry.isSet() ? GlobalOpenTelemetry.get() : null;
      } catch (NoSuchMethodError e) {
        globalIsSetKnown = false;
        log.info("this opentelemetry-api has no GlobalOpenTelemetry.isSet(): webhookd makes spans only with an"
            + " OpenTelemetry given to Webhookd.Builder.openTelemetry (the traceparent is propagated all the same)");
      }
    }
    return null;
  }

  @Override
  public Attempt start(String subscriptionId, String batchId, List<@Nullable TraceParent> contexts, int attempt) {
    try {
      Tracer t = tracer();
      if (t == null) {
        return Tracing.super.start(subscriptionId, batchId, contexts, attempt);
      }
      TraceParent only = contexts.size() == 1 ? contexts.get(0) : null;
      SpanBuilder b = t.spanBuilder(SPAN_NAME)
          .setSpanKind(SpanKind.CLIENT)
          .setAttribute(SUBSCRIPTION_ID, subscriptionId)
          .setAttribute(BATCH_ID, batchId)
          .setAttribute(BATCH_SIZE, (long) contexts.size())
          .setAttribute(ATTEMPT, (long) attempt)
          .setAttribute(HTTP_METHOD, "POST");
      if (only != null) {
        b.setParent(extract(only));
      } else {
        b.setNoParent();
        if (contexts.size() > 1) {
          for (TraceParent c : contexts) {
            if (c != null) {
              b.addLink(Span.fromContext(extract(c)).getSpanContext());
            }
          }
        }
      }
      Span span = b.startSpan();
      return new SpanAttempt(span, sent(span, only));
    } catch (RuntimeException | LinkageError e) {
      warnOnce(e);
      return Tracing.super.start(subscriptionId, batchId, contexts, attempt);
    }
  }

  private static Context extract(TraceParent c) {
    return W3CTraceContextPropagator.getInstance().extract(Context.root(), c, GETTER);
  }

  /**
   * What the request carries: the span's context; but a no-op tracer hands the parent back as its
   * span (same span id) or gives an invalid one, and then it is what {@link Tracing#PROPAGATE}
   * sends.
   */
  private static @Nullable TraceParent sent(Span span, @Nullable TraceParent parent) {
    SpanContext sc = span.getSpanContext();
    if (sc.isValid() && (parent == null || !sc.getSpanId().equals(parent.spanId()))) {
      Map<String, String> headers = new HashMap<>();
      W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), headers, Map::put);
      TraceParent own = TraceParent.parse(headers.get(TraceParent.TRACEPARENT), headers.get(TraceParent.TRACESTATE));
      if (own != null) {
        return own;
      }
    }
    return parent == null ? null : parent.child();
  }

  private void warnOnce(Throwable e) {
    if (warned.compareAndSet(false, true)) {
      log.warn("OpenTelemetry failed; delivery attempts go on without spans: {}", e.toString());
    }
  }

  private final class SpanAttempt extends Attempt {
    private final Span span;

    SpanAttempt(Span span, @Nullable TraceParent sent) {
      super(sent);
      this.span = span;
    }

    @Override
    void end(DeliveryResult result) {
      try {
        int status = result.statusCode();
        if (status >= 0) {
          span.setAttribute(HTTP_STATUS_CODE, (long) status);
        }
        if (!result.isSuccess()) {
          // the class of the failure, not its message: a message may hold the URL and its secrets
          Throwable failure = result.failure();
          String type = status >= 0 ? Integer.toString(status) : failure != null ? failure.getClass().getName() : "_OTHER";
          span.setAttribute(ERROR_TYPE, type);
          span.setStatus(StatusCode.ERROR, status >= 0 ? "HTTP " + status : type);
        }
        span.end();
      } catch (RuntimeException | LinkageError e) {
        warnOnce(e);
      }
    }
  }
}
