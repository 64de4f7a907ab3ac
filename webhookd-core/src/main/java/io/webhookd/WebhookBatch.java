package io.webhookd;

import static java.util.Objects.requireNonNull;

import io.webhookd.internal.BatchReader;
import java.util.List;

/**
 * One delivered batch, as a webhook receives it: the body of webhookd's POST. {@link
 * WebhookVerifier#verify} checks a request's signature and returns this; {@link #parse} reads a
 * body without checking (for subscriptions without a signing secret). Immutable and thread-safe.
 *
 * @param subscriptionId the subscription that delivered it
 * @param batchId the batch's id: the same on every retry of this batch (also the {@code
 *     webhook-id} header); a new batch of the same messages (after a restart) has a new id, so
 *     deduplicate messages with {@link WebhookMessage#id()}, not batches
 * @param messages the messages, in offset order within each partition
 */
public record WebhookBatch(String subscriptionId, String batchId, List<WebhookMessage> messages) {

  public WebhookBatch {
    requireNonNull(subscriptionId, "subscriptionId");
    requireNonNull(batchId, "batchId");
    messages = List.copyOf(messages);
  }

  /**
   * Reads a batch body without verifying anything. Needs nothing but the JDK. Fields this version
   * does not know are ignored.
   *
   * @param body the request body, byte for byte as received
   * @throws WebhookVerificationException with reason {@link
   *     WebhookVerificationException.Reason#MALFORMED_BODY} when the body is not a webhookd batch
   */
  public static WebhookBatch parse(byte[] body) {
    requireNonNull(body, "body");
    try {
      return BatchReader.read(body);
    } catch (BatchReader.MalformedBatchException e) {
      throw new WebhookVerificationException(
          WebhookVerificationException.Reason.MALFORMED_BODY, "the body is not a webhookd batch: " + e.getMessage());
    }
  }
}
