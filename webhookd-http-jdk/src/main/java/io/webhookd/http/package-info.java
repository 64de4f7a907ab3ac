/**
 * The standard {@link io.webhookd.spi.WebhookDestination}: {@link
 * io.webhookd.http.JdkHttpDestination}, on {@code java.net.http.HttpClient}, with an SSRF guard.
 */
@NullMarked
package io.webhookd.http;

import org.jspecify.annotations.NullMarked;
