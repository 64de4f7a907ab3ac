/**
 * Extension points of webhookd: transport ({@link io.webhookd.spi.WebhookDestination}),
 * persistence ({@link io.webhookd.spi.SubscriptionStore}), alerting ({@link
 * io.webhookd.spi.AlertChannel}), retry and batching policies, and listeners. Every
 * implementation is passed to {@link io.webhookd.Webhookd#builder()}; {@code webhookd-test-kit}
 * has a contract test for each.
 */
@NullMarked
package io.webhookd.spi;

import org.jspecify.annotations.NullMarked;
