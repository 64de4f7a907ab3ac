package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A registered subscription: its id, spec, and the bookkeeping of its store. Immutable.
 *
 * @param id a UUID string, also the suffix of the consumer group {@code webhooks-{id}}
 * @param spec what it delivers and how
 * @param owner who registered it (a client name of the server), or {@code null}
 * @param version starts at 1 and grows by one with each update; used for optimistic concurrency
 * @param createdAt when it was registered
 * @param updatedAt when it was last changed
 */
public record Subscription(
    String id,
    SubscriptionSpec spec,
    @Nullable String owner,
    long version,
    Instant createdAt,
    Instant updatedAt) {
  public Subscription {
    requireNonNull(id, "id");
    requireNonNull(spec, "spec");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(updatedAt, "updatedAt");
  }

  /** The Kafka consumer group of this subscription. */
  public String groupId() {
    return "webhooks-" + id;
  }

  /** A copy with another spec, version and update time. */
  public Subscription withSpec(SubscriptionSpec newSpec, long newVersion, Instant now) {
    return new Subscription(id, newSpec, owner, newVersion, createdAt, now);
  }
}
