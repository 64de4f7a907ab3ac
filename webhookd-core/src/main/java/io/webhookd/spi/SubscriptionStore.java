package io.webhookd.spi;

import io.webhookd.ActivityEvent;
import io.webhookd.EngineInfo;
import io.webhookd.OnlineState;
import io.webhookd.ConflictException;
import io.webhookd.HealthDetails;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionNotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Where subscriptions and what users see about them are kept. Implementations are thread-safe.
 * Engine writes of health and activity come from a background thread, never from a consumer
 * thread, so a slow or unreachable store does not stall delivery; such writes are retried.
 *
 * <p>{@link #inMemory()} is the in-memory implementation (the engine's default); {@code
 * webhookd-store-jdbc} persists to H2 or PostgreSQL. {@code
 * io.webhookd.testkit.SubscriptionStoreContract} is the contract test.
 */
public interface SubscriptionStore extends AutoCloseable {

  /** A new, empty, thread-safe store in memory: the engine's default. */
  static SubscriptionStore inMemory() {
    return new io.webhookd.internal.InMemoryStore();
  }

  /**
   * Stores a new subscription, whose {@code version} must be 1.
   *
   * @throws io.webhookd.WebhookdException when the id is taken
   */
  Subscription create(Subscription subscription);

  /**
   * Replaces a subscription when its stored version is {@code expectedVersion}; the stored copy
   * gets {@code subscription.version()}, which must be {@code expectedVersion + 1}.
   *
   * @throws ConflictException when the stored version differs (a concurrent update won)
   * @throws SubscriptionNotFoundException when there is no such subscription
   */
  Subscription update(Subscription subscription, long expectedVersion);

  /** Removes a subscription and its health and activity; false when there was none. */
  boolean delete(String id);

  Optional<Subscription> get(String id);

  /** Every subscription, oldest first. */
  List<Subscription> list();

  /** The online/offline state; {@link OnlineState#initial()} when never set. */
  OnlineState onlineState();

  void saveOnlineState(OnlineState state);

  /** Records a subscription's health (last writer wins). */
  void saveHealth(String id, HealthDetails health);

  Optional<HealthDetails> health(String id);

  /**
   * Appends activity events (oldest first) and prunes the subscription's activity to the newest
   * {@code keep}.
   */
  void appendActivity(String id, List<ActivityEvent> events, int keep);

  /** The newest {@code limit} events, newest first. */
  List<ActivityEvent> recentActivity(String id, int limit);

  /**
   * Claims the right to send an alert: true for exactly one caller per {@code (id, key)} within
   * {@code minInterval}, even across engines sharing the store. A claim at {@code now} succeeds
   * when no claim of the same key was made after {@code now - minInterval}.
   */
  boolean claimAlert(String id, String key, Instant now, Duration minInterval);

  /**
   * Records an engine's entry in the registry of engines ({@code GET /1/Engines}), replacing the
   * entry of the same id. Engines call it when they start and every few seconds while they run,
   * from a background thread. The default keeps nothing: a store without a registry lists no
   * engines.
   */
  default void saveEngine(EngineInfo engine) {}

  /** The engines whose {@link EngineInfo#lastSeen()} is at or after {@code since}, in no particular order. */
  default List<EngineInfo> engines(Instant since) {
    return List.of();
  }

  /** Removes the entries of these engines (one that closed, or ones not seen for long); unknown ids are ignored. */
  default void removeEngines(Collection<String> ids) {}

  /**
   * Whether other processes may change this store, so that engines should watch it for changes
   * made elsewhere ({@link #list()} is polled). False for an in-memory store.
   */
  default boolean isShared() {
    return false;
  }

  /** Releases connections. Idempotent. */
  @Override
  default void close() {}
}
