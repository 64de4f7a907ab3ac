package io.webhookd.spring.boot;

import io.webhookd.Webhookd;

/**
 * Adjusts the {@link Webhookd.Builder} of the auto-configured engine before it is built: declare
 * beans of this type to set what the {@code webhookd.*} properties do not (a {@link
 * io.webhookd.spi.RowFilterPolicy}, say). Customizers run in their {@link
 * org.springframework.core.Ordered order}, after the properties and the application's beans were
 * applied, so a customizer has the last word.
 */
@FunctionalInterface
public interface WebhookdBuilderCustomizer {
  /** Changes the builder; called once, on the thread that creates the {@link Webhookd} bean. */
  void customize(Webhookd.Builder builder);
}
