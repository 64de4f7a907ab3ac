package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * Whether the engines are delivering (online) or not (offline), with the operator's message.
 *
 * @param online true when webhooks are delivering
 * @param offlineMessage why they are offline, empty when online or not given
 * @param updatedAt when this state was set
 */
public record OnlineState(boolean online, String offlineMessage, Instant updatedAt) {
  public OnlineState {
    requireNonNull(offlineMessage, "offlineMessage");
    requireNonNull(updatedAt, "updatedAt");
  }

  /** Online, no message, set at the epoch: the state of a new store. */
  public static OnlineState initial() {
    return new OnlineState(true, "", Instant.EPOCH);
  }
}
