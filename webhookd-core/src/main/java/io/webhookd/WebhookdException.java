package io.webhookd;

/** The root of every exception webhookd throws. Unchecked. */
public class WebhookdException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WebhookdException(String message) {
    super(message);
  }

  public WebhookdException(String message, Throwable cause) {
    super(message, cause);
  }
}
