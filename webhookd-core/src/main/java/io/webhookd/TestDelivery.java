package io.webhookd;

import org.jspecify.annotations.Nullable;

/**
 * What {@link Webhookd#sendTest} got back: one signed batch holding one synthetic message (topic
 * {@value #TOPIC}), sent through the subscription's transport, SSRF guard and headers.
 *
 * @param statusCode the HTTP status, or {@code null} when no response came
 * @param durationMillis how long the request took
 * @param responseBody the start of the response body (at most {@value #MAX_BODY} characters), or
 *     {@code null}
 * @param error why it failed (no response, a refusal by the SSRF guard, a non-2xx status), or
 *     {@code null} when the webhook answered 2xx
 */
public record TestDelivery(
    @Nullable Integer statusCode,
    long durationMillis,
    @Nullable String responseBody,
    @Nullable String error) {

  /** The topic of the synthetic message. */
  public static final String TOPIC = "webhookd.test";

  /** The most characters of the response body kept. */
  public static final int MAX_BODY = 2048;

  /** Whether the webhook answered 2xx. */
  public boolean succeeded() {
    return error == null;
  }
}
