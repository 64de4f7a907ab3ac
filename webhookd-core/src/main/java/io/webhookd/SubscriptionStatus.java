package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A subscription's runtime state: what the REST API's {@code WebhookStatus} document ({@code GET
 * /1/Subscription/{id}/Status}) shows. Immutable.
 *
 * @param id the subscription id
 * @param name its name
 * @param active whether it is meant to deliver
 * @param payloadUrl the webhook URL with secrets masked
 * @param timestamp when this status was read
 * @param health healthy, unhealthy, or inactive
 * @param details the facts behind the health
 * @param consumerLag messages waiting in Kafka for this subscription (committed offset to log
 *     end, summed over partitions), or {@code null} when unknown
 * @param recentActivity newest first, bounded
 * @param problem why this engine cannot run the subscription (its URL's scheme has no destination
 *     here, its stored configuration no longer meets the rules, a batcher or retrier factory
 *     failed), or {@code null}; the health is then {@code unhealthy} until the subscription is
 *     updated or the engine restarted with what it needs
 * @param engines the ids of the engines where it runs now ({@link Webhookd#engineId()}), sorted;
 *     empty when it is inactive or webhooks are offline
 */
public record SubscriptionStatus(
    String id,
    String name,
    boolean active,
    String payloadUrl,
    Instant timestamp,
    Health health,
    HealthDetails details,
    @Nullable Long consumerLag,
    List<ActivityEvent> recentActivity,
    @Nullable String problem,
    List<String> engines) {
  public SubscriptionStatus {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(payloadUrl, "payloadUrl");
    requireNonNull(timestamp, "timestamp");
    requireNonNull(health, "health");
    requireNonNull(details, "details");
    recentActivity = List.copyOf(recentActivity);
    engines = List.copyOf(engines);
  }

  /** A status without the engines it runs on. */
  public SubscriptionStatus(
      String id,
      String name,
      boolean active,
      String payloadUrl,
      Instant timestamp,
      Health health,
      HealthDetails details,
      @Nullable Long consumerLag,
      List<ActivityEvent> recentActivity,
      @Nullable String problem) {
    this(id, name, active, payloadUrl, timestamp, health, details, consumerLag, recentActivity, problem, List.of());
  }

  /** A status without a problem. */
  public SubscriptionStatus(
      String id,
      String name,
      boolean active,
      String payloadUrl,
      Instant timestamp,
      Health health,
      HealthDetails details,
      @Nullable Long consumerLag,
      List<ActivityEvent> recentActivity) {
    this(id, name, active, payloadUrl, timestamp, health, details, consumerLag, recentActivity, null, List.of());
  }
}
