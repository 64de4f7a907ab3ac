package io.webhookd.internal;

import io.webhookd.SubscriptionSpec;
import io.webhookd.spi.DeliveryRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The request of each attempt of a subscription's batches: the batch body POSTed to the webhook
 * with {@code Content-Type}, {@code User-Agent}, the subscription's headers and the Standard
 * Webhooks headers ({@code webhook-id}, {@code webhook-timestamp} of this attempt, and {@code
 * webhook-signature} when the subscription has a signing secret), and the trace context of the
 * attempt ({@code traceparent}, {@code tracestate}: {@link Tracing}) unless the subscription's own
 * headers set them. Immutable and thread-safe.
 */
final class RequestMaker {
  private final String subscriptionId;
  private final SubscriptionSpec.Destination destination;
  private final @Nullable Signer signer;
  private final List<DeliveryRequest.Header> staticHeaders;
  private final Duration timeout;
  private final Tracing tracing;
  /** The subscription's headers name {@code traceparent}: they are sent as they are, webhookd adds none. */
  private final boolean ownTraceHeaders;
  /** {@code POST} and the URL with its secrets masked, for the activity records. */
  private final String requestLine;

  RequestMaker(String subscriptionId, SubscriptionSpec.Destination destination, Duration timeout, Tracing tracing) {
    this.subscriptionId = subscriptionId;
    this.tracing = tracing;
    this.destination = destination;
    this.signer = destination.signingSecret() == null ? null : new Signer(destination.signingSecret());
    this.timeout = timeout;
    List<DeliveryRequest.Header> h = new ArrayList<>();
    h.add(new DeliveryRequest.Header("Content-Type", "application/json"));
    h.add(new DeliveryRequest.Header("User-Agent", "webhookd/" + Version.VERSION));
    boolean own = false;
    for (SubscriptionSpec.Header sh : destination.headers()) {
      h.add(new DeliveryRequest.Header(sh.name(), sh.value()));
      own |= sh.name().equalsIgnoreCase(TraceParent.TRACEPARENT) || sh.name().equalsIgnoreCase(TraceParent.TRACESTATE);
    }
    this.ownTraceHeaders = own;
    this.staticHeaders = List.copyOf(h);
    this.requestLine = "POST " + Secrets.maskUrl(destination.url());
  }

  /** The batch's current attempt ({@code b.attempts}): its request and its trace, started now. */
  record Attempt(DeliveryRequest request, Tracing.Attempt trace) {}

  /**
   * Starts the batch's current attempt: its trace, and its request, signed with this moment's
   * timestamp and carrying the trace's context. The caller ends the trace with the outcome.
   */
  Attempt attempt(Batch b) {
    List<@Nullable TraceParent> contexts = new ArrayList<>(b.messages.size());
    for (Pending p : b.messages) {
      contexts.add(p.trace());
    }
    Tracing.Attempt trace = tracing.start(subscriptionId, b.id, contexts, b.attempts);
    return new Attempt(request(b.id, b.body, ownTraceHeaders ? null : trace.context()), trace);
  }

  /**
   * A request holding {@code body} as batch {@code batchId} outside the runner (a redelivery of
   * dead letters, a test message), signed with this moment's timestamp, without a trace context.
   */
  DeliveryRequest request(String batchId, byte[] body) {
    return request(batchId, body, null);
  }

  private DeliveryRequest request(String batchId, byte[] body, @Nullable TraceParent trace) {
    long ts = Instant.now().getEpochSecond();
    List<DeliveryRequest.Header> headers = new ArrayList<>(staticHeaders.size() + 5);
    headers.addAll(staticHeaders);
    headers.add(new DeliveryRequest.Header("webhook-id", batchId));
    headers.add(new DeliveryRequest.Header("webhook-timestamp", Long.toString(ts)));
    if (signer != null) {
      headers.add(new DeliveryRequest.Header("webhook-signature", signer.sign(batchId, ts, body)));
    }
    if (trace != null) {
      headers.add(new DeliveryRequest.Header(TraceParent.TRACEPARENT, trace.header()));
      String state = trace.traceState();
      if (state != null) {
        headers.add(new DeliveryRequest.Header(TraceParent.TRACESTATE, state));
      }
    }
    return new DeliveryRequest(subscriptionId, batchId, destination.url(), headers, body, timeout);
  }

  /** {@code POST} and the URL with its secrets masked. */
  String requestLine() {
    return requestLine;
  }
}
