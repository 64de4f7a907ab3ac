package io.webhookd.internal;

import io.webhookd.spi.DeliveryResult;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trace of each delivery attempt: the {@code traceparent} its request carries and, with
 * OpenTelemetry, its span. Chosen once per engine by {@link #create}: {@link OpenTelemetryTracing}
 * when the OpenTelemetry API is on the class path (the only class that references it, loaded only
 * then), else {@link #PROPAGATE}, so OpenTelemetry stays an optional dependency.
 *
 * <p>The rule, the same with and without spans: the request of a one-message batch whose record
 * carries a valid {@code traceparent} continues that trace with a new span id per attempt; a
 * larger batch's request starts a new trace whose span links to the messages' contexts (each
 * message's headers stay in the body), which only a tracer can do: without one it carries none.
 *
 * <p>Implementations are thread-safe: attempts start on the consumer thread and end on the
 * destination's.
 */
interface Tracing {
  /** Propagation only, no spans: used when OpenTelemetry is not on the class path. */
  Tracing PROPAGATE = new Tracing() {};

  /**
   * Starts an attempt's trace.
   *
   * @param contexts the batch's messages' contexts, one per message, {@code null} for a message
   *     without a valid one
   * @param attempt the attempt's number, from 1
   */
  default Attempt start(String subscriptionId, String batchId, List<@Nullable TraceParent> contexts, int attempt) {
    TraceParent only = contexts.size() == 1 ? contexts.get(0) : null;
    return only == null ? Attempt.NONE : new Attempt(only.child());
  }

  /**
   * One attempt's trace: what its request carries, and its span, which {@link #end} ends (a no-op
   * without one).
   */
  class Attempt {
    static final Attempt NONE = new Attempt(null);

    private final @Nullable TraceParent context;

    Attempt(@Nullable TraceParent context) {
      this.context = context;
    }

    /** The context the request carries, or {@code null} for none. */
    @Nullable TraceParent context() {
      return context;
    }

    /** The attempt's outcome; called once, on the thread that completed the request. */
    void end(DeliveryResult result) {}
  }

  /**
   * The engine's tracing: OpenTelemetry spans through {@code openTelemetry} (an {@code
   * io.opentelemetry.api.OpenTelemetry}) or, when it is {@code null}, through {@code
   * GlobalOpenTelemetry} once an application sets it; {@link #PROPAGATE} when the OpenTelemetry
   * API is not on the class path.
   */
  static Tracing create(@Nullable Object openTelemetry) {
    if (openTelemetry == null && !openTelemetryPresent()) {
      return PROPAGATE;
    }
    return new OpenTelemetryTracing(openTelemetry);
  }

  private static boolean openTelemetryPresent() {
    try {
      Class.forName("io.opentelemetry.api.GlobalOpenTelemetry", false, Tracing.class.getClassLoader());
      Class.forName("io.opentelemetry.context.Context", false, Tracing.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      Logger log = LoggerFactory.getLogger(Tracing.class);
      log.debug("OpenTelemetry API not on the class path: traceparent propagated without spans");
      return false;
    }
  }
}
