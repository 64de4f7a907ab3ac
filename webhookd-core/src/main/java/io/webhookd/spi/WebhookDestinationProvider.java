package io.webhookd.spi;

/**
 * Found with {@link java.util.ServiceLoader} when no destination is passed to the builder: the
 * fallback that lets {@code webhookd-http-jdk} on the class path be enough.
 */
public interface WebhookDestinationProvider {
  /** A new destination with default settings. */
  WebhookDestination create();
}
