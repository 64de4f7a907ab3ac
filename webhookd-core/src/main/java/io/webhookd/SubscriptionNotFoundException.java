package io.webhookd;

/** No subscription has the given id. */
public class SubscriptionNotFoundException extends WebhookdException {
  private static final long serialVersionUID = 1L;
  private final String subscriptionId;

  public SubscriptionNotFoundException(String subscriptionId) {
    super("no subscription with id " + subscriptionId);
    this.subscriptionId = subscriptionId;
  }

  public String subscriptionId() {
    return subscriptionId;
  }
}
