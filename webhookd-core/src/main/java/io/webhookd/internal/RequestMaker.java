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
 * webhook-signature} when the subscription has a signing secret). Immutable and thread-safe.
 */
final class RequestMaker {
  private final String subscriptionId;
  private final SubscriptionSpec.Destination destination;
  private final @Nullable Signer signer;
  private final List<DeliveryRequest.Header> staticHeaders;
  private final Duration timeout;
  /** {@code POST} and the URL with its secrets masked, for the activity records. */
  private final String requestLine;

  RequestMaker(String subscriptionId, SubscriptionSpec.Destination destination, Duration timeout) {
    this.subscriptionId = subscriptionId;
    this.destination = destination;
    this.signer = destination.signingSecret() == null ? null : new Signer(destination.signingSecret());
    this.timeout = timeout;
    List<DeliveryRequest.Header> h = new ArrayList<>();
    h.add(new DeliveryRequest.Header("Content-Type", "application/json"));
    h.add(new DeliveryRequest.Header("User-Agent", "webhookd/" + Version.VERSION));
    for (SubscriptionSpec.Header sh : destination.headers()) {
      h.add(new DeliveryRequest.Header(sh.name(), sh.value()));
    }
    this.staticHeaders = List.copyOf(h);
    this.requestLine = "POST " + Secrets.maskUrl(destination.url());
  }

  /** The request of the batch's current attempt, signed with this moment's timestamp. */
  DeliveryRequest request(Batch b) {
    return request(b.id, b.body);
  }

  /** A request holding {@code body} as batch {@code batchId}, signed with this moment's timestamp. */
  DeliveryRequest request(String batchId, byte[] body) {
    long ts = Instant.now().getEpochSecond();
    List<DeliveryRequest.Header> headers = new ArrayList<>(staticHeaders.size() + 3);
    headers.addAll(staticHeaders);
    headers.add(new DeliveryRequest.Header("webhook-id", batchId));
    headers.add(new DeliveryRequest.Header("webhook-timestamp", Long.toString(ts)));
    if (signer != null) {
      headers.add(new DeliveryRequest.Header("webhook-signature", signer.sign(batchId, ts, body)));
    }
    return new DeliveryRequest(subscriptionId, batchId, destination.url(), headers, body, timeout);
  }

  /** {@code POST} and the URL with its secrets masked. */
  String requestLine() {
    return requestLine;
  }
}
