package io.webhookd.spi;

import io.webhookd.Health;

/**
 * Hears what subscriptions do. Every method has a no-op default; {@link #NONE} does nothing.
 *
 * <p>Threads: lifecycle and batch events are called on the subscription's consumer thread, so a
 * listener must be quick; a slow listener slows that subscription (and only that one). A listener
 * that throws is logged and ignored.
 *
 * <p>Pairing: every {@link #batchStarted} is followed, once per attempt, by {@link
 * #batchDelivered} or {@link #batchFailed}; a batch whose partitions are revoked or whose engine
 * closes before it was delivered ends in {@link #batchAbandoned} (it will be re-read from Kafka).
 *
 * <p>{@code io.webhookd.testkit.SubscriptionListenerContract} checks these promises against a
 * running engine.
 */
public interface SubscriptionListener {
  /** A listener that does nothing. */
  SubscriptionListener NONE = new SubscriptionListener() {};

  /** The subscription's consumer started. */
  default void started(String subscriptionId) {}

  /** The subscription's consumer stopped (inactive, offline, unsubscribed, or engine closing). */
  default void stopped(String subscriptionId, String reason) {}

  /** A batch was formed and its first attempt is about to be sent. */
  default void batchStarted(String subscriptionId, String batchId, int size) {}

  /** An attempt got a 2xx: the batch is delivered and will be committed. */
  default void batchDelivered(String subscriptionId, String batchId, int size, DeliveryResult result) {}

  /**
   * An attempt failed; {@code attempt} counts from 1. The batch will be retried after {@code
   * retryInMillis}.
   */
  default void batchFailed(
      String subscriptionId, String batchId, int attempt, DeliveryResult result, long retryInMillis) {}

  /** A batch will not be delivered by this consumer; it stays uncommitted. */
  default void batchAbandoned(String subscriptionId, String batchId, String reason) {}

  /**
   * A batch's messages were written to the dead letters (its retries were exhausted under {@code
   * on_exhausted: dead_letter}, or an operator skipped it); its offsets may now be committed.
   *
   * @param reason {@code retries_exhausted} or {@code skipped}
   */
  default void batchDeadLettered(String subscriptionId, String batchId, int messages, String reason) {}

  /** The subscription's health changed. */
  default void healthChanged(String subscriptionId, Health from, Health to) {}
}
