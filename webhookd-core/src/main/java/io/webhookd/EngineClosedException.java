package io.webhookd;

/** An operation that changes subscriptions was called on an engine that was closed. */
public class EngineClosedException extends WebhookdException {
  private static final long serialVersionUID = 1L;

  public EngineClosedException() {
    super("this webhookd engine is closed");
  }
}
