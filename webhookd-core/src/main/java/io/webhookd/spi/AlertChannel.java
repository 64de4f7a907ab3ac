package io.webhookd.spi;

import io.webhookd.internal.LogText;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends alerts. Called from a background thread of the engine, never from a consumer thread;
 * must be thread-safe. The future completes exceptionally when the alert could not be sent; the
 * engine then retries it with backoff, so an alert is never dropped silently.
 *
 * <p>{@code io.webhookd.testkit.AlertChannelContract} is the contract test.
 */
public interface AlertChannel extends AutoCloseable {

  CompletableFuture<Void> send(Alert alert);

  /** An alert channel that writes each alert to the log (logger {@code io.webhookd.alerts}). */
  static AlertChannel logging() {
    Logger log = LoggerFactory.getLogger("io.webhookd.alerts");
    return alert -> {
      log.warn(
          "[webhookd] {} {} ({}) {}: last response {} {}; next: {} (recipients: {})",
          // the name and the response come from outside: escaped, so no line can be forged
          LogText.escape(alert.subscriptionName()),
          alert.kind().wireName(),
          alert.subscriptionId(),
          LogText.escape(alert.maskedUrl()),
          alert.lastResponseCode(),
          LogText.escape(alert.lastResponseExcerpt()),
          LogText.escape(alert.nextStep()),
          LogText.escape(alert.recipients()));
      return CompletableFuture.completedFuture(null);
    };
  }

  @Override
  default void close() {}
}
