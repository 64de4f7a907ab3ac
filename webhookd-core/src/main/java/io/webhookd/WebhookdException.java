package io.webhookd;

/**
 * The root of every exception webhookd throws. Unchecked. The library throws nothing else, but
 * {@link NullPointerException} for a {@code null} where a value is required (named in its
 * message), and whatever a user's own SPI implementation throws where webhookd lets it through.
 *
 * <p>Subclasses say what went wrong: {@link ValidationException} (bad input, every problem
 * listed), {@link ConflictException} (a concurrent update won), {@link
 * SubscriptionNotFoundException}, {@link EngineClosedException}, {@link
 * WebhookVerificationException} (a request that is not webhookd's, on a receiver).
 */
public class WebhookdException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WebhookdException(String message) {
    super(message);
  }

  public WebhookdException(String message, Throwable cause) {
    super(message, cause);
  }
}
