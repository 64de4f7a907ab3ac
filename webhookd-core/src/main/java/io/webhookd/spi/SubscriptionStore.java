package io.webhookd.spi;

import io.webhookd.ActivityEvent;
import io.webhookd.EngineInfo;
import io.webhookd.OnlineState;
import io.webhookd.ConflictException;
import io.webhookd.DeadLetter;
import io.webhookd.HealthDetails;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionNotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

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
   * The stored health of each of {@code ids} that has one, by id (ids without a stored health, or
   * of no subscription, are absent). An engine that takes over many subscriptions at once (another
   * engine left) reads their health with one call. The default asks {@link #health(String)} for
   * each; a store over a network should answer with one round trip.
   */
  default Map<String, HealthDetails> health(Collection<String> ids) {
    Map<String, HealthDetails> found = new HashMap<>();
    for (String id : ids) {
      health(id).ifPresent(h -> found.put(id, h));
    }
    return found;
  }

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

  // ---------------------------------------------------------------------------------------------
  // Dead letters (issue: day-2 operations). A store that does not keep them leaves these defaults:
  // the engine then refuses subscriptions with on_exhausted dead_letter and the skip operation.

  /** Whether this store keeps dead letters; the methods below work only when it does. */
  default boolean supportsDeadLetters() {
    return false;
  }

  /**
   * Adds dead letters, durably, before returning: the engine commits the messages' offsets only
   * after this returns. Adding a letter whose id exists already does nothing (a retry after a
   * failure may add the same letters again).
   */
  default void addDeadLetters(List<DeadLetter> letters) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no dead letters");
  }

  /**
   * A page of one subscription's dead letters, ordered by id, those with an id greater than
   * {@code after} (all when {@code null}), at most {@code limit}. Must not scan other
   * subscriptions' letters (an index on subscription and id).
   */
  default DeadLetter.Page deadLetters(String subscriptionId, @Nullable String after, int limit) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no dead letters");
  }

  /** The subscription's dead letters with these ids (those that exist), ordered by id. */
  default List<DeadLetter> deadLetters(String subscriptionId, Collection<String> ids) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no dead letters");
  }

  /** Removes one dead letter; false when it did not exist. */
  default boolean removeDeadLetter(String subscriptionId, String id) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no dead letters");
  }

  /**
   * Retention: removes the dead letters written before {@code before}, and of each subscription
   * all but the newest {@code keepPerSubscription}. Returns how many were removed. Deleting a
   * subscription removes its dead letters too.
   */
  default int pruneDeadLetters(Instant before, int keepPerSubscription) {
    return 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands between engines sharing the store. A store that is not shared needs none (the one
  // engine does everything itself); a shared store must keep them.

  /** Adds a command for every engine sharing the store. */
  default void addCommand(EngineCommand command) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no commands");
  }

  /** The commands pending at {@code now} (not completed, not expired), oldest first. */
  default List<EngineCommand> pendingCommands(Instant now) {
    return List.of();
  }

  /** One command, completed or not. */
  default Optional<EngineCommand> command(String id) {
    return Optional.empty();
  }

  /**
   * Completes a pending command with its result: true for exactly one caller (the one that
   * completed it), false when it was completed already or does not exist.
   */
  default boolean completeCommand(String id, String result) {
    return false;
  }

  /** Removes commands created before {@code before}. */
  default void removeCommands(Instant before) {}

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
