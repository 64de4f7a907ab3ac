/**
 * webhookd's public API: the {@link io.webhookd.Webhookd} engine, its builder, and the immutable
 * value types that describe subscriptions and their status. Extension points are in
 * {@code io.webhookd.spi}; {@code io.webhookd.internal} has no compatibility promise.
 *
 * <p>The API shows no third-party type but kafka-clients' and Micrometer's {@code MeterRegistry}
 * (optional). The JSON documents of the REST API and the stores are in the webhookd-json module
 * ({@code io.webhookd.json}); {@link io.webhookd.Masking} applies webhookd's masking rules for code
 * that shows the same values.
 */
@NullMarked
package io.webhookd;

import org.jspecify.annotations.NullMarked;
