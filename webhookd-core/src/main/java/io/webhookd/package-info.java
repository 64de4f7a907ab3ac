/**
 * webhookd's public API: the {@link io.webhookd.Webhookd} engine, its builder, and the immutable
 * value types that describe subscriptions and their status. Extension points are in
 * {@code io.webhookd.spi}; {@code io.webhookd.internal} has no compatibility promise.
 */
@NullMarked
package io.webhookd;

import org.jspecify.annotations.NullMarked;
