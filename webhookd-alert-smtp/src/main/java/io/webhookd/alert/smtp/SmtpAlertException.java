package io.webhookd.alert.smtp;

import io.webhookd.WebhookdException;

/**
 * Why an alert mail was not sent: the exception a {@link SmtpAlertChannel#send} future completes
 * with. Its message names the subscription, the alert kind, the SMTP server and what went wrong
 * (never the password); the cause is the Jakarta Mail exception, when there is one.
 *
 * <p>{@link #retryable()} tells whether sending the same alert again may succeed without a change
 * of configuration: true for connection failures, time-outs and temporary SMTP replies; false for
 * failed authentication, a refused sender or recipient address, or an alert without recipients.
 * The engine may still retry either kind (a password can be fixed while it waits).
 */
public final class SmtpAlertException extends WebhookdException {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  SmtpAlertException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  SmtpAlertException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  /** The start of every message about this alert: "could not mail the unhealthy alert of subscription 'id'". */
  static String couldNotMail(io.webhookd.spi.Alert alert) {
    return "could not mail the "
        + alert.kind().wireName()
        + " alert of subscription '"
        + alert.subscriptionId()
        + "'";
  }

  /** Whether a later attempt with the same configuration may succeed. */
  public boolean retryable() {
    return retryable;
  }
}
