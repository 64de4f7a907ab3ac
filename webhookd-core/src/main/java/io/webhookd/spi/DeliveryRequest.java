package io.webhookd.spi;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * One HTTP POST of a batch. Immutable; {@code body} must not be modified.
 *
 * @param subscriptionId whose batch this is
 * @param batchId the batch's stable id (also the {@code webhook-id} header)
 * @param url where to POST
 * @param headers every header to send, in order, including {@code Content-Type} and the
 *     signature headers; values are not masked
 * @param body the JSON body
 * @param timeout how long the whole exchange may take
 */
public record DeliveryRequest(
    String subscriptionId,
    String batchId,
    URI url,
    List<Header> headers,
    byte[] body,
    Duration timeout) {
  public DeliveryRequest {
    requireNonNull(subscriptionId, "subscriptionId");
    requireNonNull(batchId, "batchId");
    requireNonNull(url, "url");
    headers = List.copyOf(headers);
    requireNonNull(body, "body");
    requireNonNull(timeout, "timeout");
  }

  /** A header name and value. */
  public record Header(String name, String value) {
    public Header {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
    }
  }
}
