/**
 * What webhookd's HTTP transports share, for them and for an HTTP transport of your own: the SSRF
 * guard ({@link io.webhookd.http.common.SsrfGuard}, with {@link
 * io.webhookd.http.common.ForbiddenDestinationException}), the retry classification of transport
 * failures ({@link io.webhookd.http.common.TransportFailures}) and the builders' defaults and
 * option checks ({@link io.webhookd.http.common.TransportOptions}). Deliberately small: a type
 * enters only when both transports need it. Depends on {@code webhookd-core} alone.
 */
@NullMarked
package io.webhookd.http.common;

import org.jspecify.annotations.NullMarked;
