package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * The system's state and a line for every webhook: what the REST API's {@code WebhookAdmin}
 * document ({@code GET /1/EventNotificationAdmin}) shows. Immutable.
 *
 * @param state online or offline, and the message
 * @param webhooks every subscription's id, name, health and topics
 */
public record AdminStatus(OnlineState state, List<Webhook> webhooks) {
  public AdminStatus {
    requireNonNull(state, "state");
    webhooks = List.copyOf(webhooks);
  }

  /** One subscription in the admin view. */
  public record Webhook(String id, String name, Instant timestamp, Health health, List<String> topics) {
    public Webhook {
      requireNonNull(id, "id");
      requireNonNull(name, "name");
      requireNonNull(timestamp, "timestamp");
      requireNonNull(health, "health");
      topics = List.copyOf(topics);
    }
  }
}
