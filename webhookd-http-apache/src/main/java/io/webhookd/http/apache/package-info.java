/**
 * {@link io.webhookd.http.apache.ApacheHttpDestination}: a {@link io.webhookd.spi.WebhookDestination}
 * on Apache HttpClient 5's classic client, with the SSRF guard of {@code webhookd-http-jdk}.
 */
@NullMarked
package io.webhookd.http.apache;

import org.jspecify.annotations.NullMarked;
