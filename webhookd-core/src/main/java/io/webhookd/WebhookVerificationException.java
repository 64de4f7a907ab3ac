package io.webhookd;

import static java.util.Objects.requireNonNull;

/**
 * A request did not pass {@link WebhookVerifier}: a signature header is missing or malformed, no
 * signature matches, the timestamp is outside the tolerance, or the body is not a webhookd batch.
 * Answer such a request with {@link Reason#httpStatus()} (401 or 400) and do not act on it. The
 * message says what was wrong and never contains a secret.
 */
public class WebhookVerificationException extends WebhookdException {
  private static final long serialVersionUID = 1L;

  /** Why verification failed. */
  public enum Reason {
    /** {@code webhook-id}, {@code webhook-timestamp} or {@code webhook-signature} is missing. */
    MISSING_HEADER(401),
    /** {@code webhook-timestamp} is not a number of seconds. */
    MALFORMED_TIMESTAMP(401),
    /** {@code webhook-timestamp} is further from now than the tolerance: a replay, or a skewed clock. */
    TIMESTAMP_OUT_OF_TOLERANCE(401),
    /** No {@code v1} signature of {@code webhook-signature} matches any of the secrets. */
    NO_MATCHING_SIGNATURE(401),
    /** The signature matched but the body is not a webhookd batch. */
    MALFORMED_BODY(400);

    private final int httpStatus;

    Reason(int httpStatus) {
      this.httpStatus = httpStatus;
    }

    /** The status to answer: 401 for a request that is not proven to come from webhookd, 400 for a body it cannot read. */
    public int httpStatus() {
      return httpStatus;
    }
  }

  private final Reason reason;

  public WebhookVerificationException(Reason reason, String message) {
    super(message);
    this.reason = requireNonNull(reason, "reason");
  }

  /** Why verification failed. */
  public Reason reason() {
    return reason;
  }
}
