package io.webhookd.http;

import io.webhookd.spi.WebhookDestination;
import io.webhookd.spi.WebhookDestinationProvider;

/**
 * Lets the engine find {@link JdkHttpDestination} with {@link java.util.ServiceLoader} when no
 * destination is passed to it. Creates destinations with every default (SSRF guard on).
 * Thread-safe.
 */
public final class JdkHttpDestinationProvider implements WebhookDestinationProvider {
  /** For {@link java.util.ServiceLoader}. */
  public JdkHttpDestinationProvider() {}

  @Override
  public WebhookDestination create() {
    return JdkHttpDestination.create();
  }
}
