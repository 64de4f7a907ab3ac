/**
 * Extension points of webhookd: transport ({@link io.webhookd.spi.WebhookDestination}),
 * persistence ({@link io.webhookd.spi.SubscriptionStore}), alerting ({@link
 * io.webhookd.spi.AlertChannel}), retry and batching policies ({@link io.webhookd.spi.Retrier},
 * {@link io.webhookd.spi.Batcher}), and listeners ({@link io.webhookd.spi.SubscriptionListener}).
 * Implementations are passed to {@link io.webhookd.Webhookd#builder()}.
 *
 * <p>{@code webhookd-test-kit} has an abstract contract test for each of them, which an
 * implementation's test extends with one factory method: {@code WebhookDestinationContract} (and
 * {@code HttpWebhookDestinationContract} for HTTP), {@code SubscriptionStoreContract}, {@code
 * AlertChannelContract}, {@code RetrierContract}, {@code BatcherContract}; {@code
 * SubscriptionListenerContract} checks what an engine promises its listeners. {@link
 * io.webhookd.spi.RowFilterPolicy} and {@link io.webhookd.spi.WebhookDestinationProvider} are
 * single functions with nothing to check beyond their Javadoc.
 */
@NullMarked
package io.webhookd.spi;

import org.jspecify.annotations.NullMarked;
