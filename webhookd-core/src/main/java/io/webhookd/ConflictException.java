package io.webhookd;

/**
 * An update was based on a version of the subscription that is no longer current: someone else
 * changed it first. Read it again and reapply the change.
 */
public class ConflictException extends WebhookdException {
  private static final long serialVersionUID = 1L;
  private final String subscriptionId;
  private final long expectedVersion;
  private final long actualVersion;

  public ConflictException(String subscriptionId, long expectedVersion, long actualVersion) {
    super(
        "subscription "
            + subscriptionId
            + " was changed concurrently: the update was based on version "
            + expectedVersion
            + " but the current version is "
            + actualVersion);
    this.subscriptionId = subscriptionId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }

  public String subscriptionId() {
    return subscriptionId;
  }

  public long expectedVersion() {
    return expectedVersion;
  }

  public long actualVersion() {
    return actualVersion;
  }
}
