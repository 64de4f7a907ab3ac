package io.webhookd.internal;

/**
 * What the engine measures. The no-op implementation is used when no Micrometer registry was
 * given, so Micrometer stays an optional dependency. Implementations are thread-safe.
 */
interface Metrics {
  Metrics NOOP = new Metrics() {};

  default SubscriptionMetrics forSubscription(String subscriptionId, java.util.function.LongSupplier lag) {
    return SubscriptionMetrics.NOOP;
  }

  /** Messages moved to a subscription's dead letters ({@code reason}: retries_exhausted, skipped). */
  default void deadLettered(String subscriptionId, String reason, int n) {}

  /** Dead letters delivered again with a 2xx. */
  default void redelivered(String subscriptionId, int n) {}

  /** Batches an operator skipped. */
  default void skipped(String subscriptionId) {}

  /** Replays of a subscription. */
  default void replayed(String subscriptionId) {}

  /** One subscription's meters, tagged with its id. */
  interface SubscriptionMetrics {
    SubscriptionMetrics NOOP = new SubscriptionMetrics() {};

    default void consumed(int n) {}

    default void filtered(int n) {}

    default void delivered(int n) {}

    /** outcome: success, http_error, failure. */
    default void attempt(String outcome, long nanos) {}

    /** Produce-to-delivered latency of one message, in milliseconds. */
    default void endToEnd(long millis) {}

    default void close() {}
  }

  static Metrics create(@org.jspecify.annotations.Nullable Object registry) {
    return registry == null ? NOOP : new MicrometerMetrics(registry);
  }
}
