package io.webhookd.http.common;

import io.webhookd.WebhookdException;

/**
 * A delivery was refused before any connection was made, because the destination's host resolves
 * to an address the SSRF guard forbids (loopback, private, link-local, ...). Appears as the {@link
 * io.webhookd.spi.DeliveryResult#failure()} of a non-retryable result; the HTTP transports' {@code
 * send} never throws it.
 */
public class ForbiddenDestinationException extends WebhookdException {
  private static final long serialVersionUID = 1L;

  public ForbiddenDestinationException(String message) {
    super(message);
  }
}
