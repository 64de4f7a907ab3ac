package io.webhookd.spi;

import java.util.concurrent.CompletableFuture;

/**
 * The transport that POSTs batches. One instance serves every subscription of an engine, from
 * many threads at once: implementations must be thread-safe and must not block the caller; the
 * returned future completes (never exceptionally) with the outcome, on a thread of the
 * implementation's choosing. The engine treats 2xx as delivered; everything else is retried.
 *
 * <p>{@code webhookd-http-jdk} and {@code webhookd-http-apache} have the HTTP implementations. The
 * contract tests are in {@code webhookd-test-kit}: {@code
 * io.webhookd.testkit.WebhookDestinationContract} for every destination, {@code
 * HttpWebhookDestinationContract} for an HTTP one.
 */
public interface WebhookDestination extends AutoCloseable {

  /**
   * Sends one request. Must not throw: every failure is a {@link DeliveryResult#failure}.
   *
   * @return completes with the outcome, no later than {@link DeliveryRequest#timeout()} plus a
   *     small margin
   */
  CompletableFuture<DeliveryResult> send(DeliveryRequest request);

  /**
   * Checks a URL before a subscription is registered (for example against the SSRF guard).
   *
   * @return why the URL cannot be used, or {@code null} when it can
   */
  default @org.jspecify.annotations.Nullable String checkUrl(java.net.URI url) {
    return null;
  }

  /** Releases connections and threads. In-flight requests complete with failures. Idempotent. */
  @Override
  default void close() {}
}
