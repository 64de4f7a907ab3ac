package io.webhookd;

import java.util.Locale;

/**
 * A subscription's health: the {@code status} field of the REST API's {@code WebhookStatus}
 * document, in lower case ({@link #wireName()}).
 */
public enum Health {
  /** Delivering, or nothing to deliver. */
  HEALTHY,
  /** The current batch failed more than {@code max_retries} times; still being retried. */
  UNHEALTHY,
  /** Not running: the subscription is inactive or the engine is offline. */
  INACTIVE;

  /** The lower-case word of the REST API. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
