package io.webhookd;

/**
 * {@link Webhookd#skip} named a batch that is not failing now: it was delivered, is not known, or
 * is not held by any engine running the subscription.
 */
public class NotFailingException extends WebhookdException {
  private static final long serialVersionUID = 1L;
  private final String subscriptionId;
  private final String batchId;

  public NotFailingException(String subscriptionId, String batchId) {
    super("batch " + batchId + " of subscription " + subscriptionId + " is not currently failing");
    this.subscriptionId = subscriptionId;
    this.batchId = batchId;
  }

  public String subscriptionId() {
    return subscriptionId;
  }

  public String batchId() {
    return batchId;
  }
}
