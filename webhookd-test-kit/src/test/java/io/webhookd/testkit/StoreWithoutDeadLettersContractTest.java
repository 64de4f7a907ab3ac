package io.webhookd.testkit;

import io.webhookd.ActivityEvent;
import io.webhookd.HealthDetails;
import io.webhookd.OnlineState;
import io.webhookd.Subscription;
import io.webhookd.spi.SubscriptionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A store written before dead letters existed (it implements only the abstract methods, so {@code
 * supportsDeadLetters()} is false) still passes the contract: the dead-letter and command clauses
 * are skipped, not failed. The examples' host project checks the same with a user's own store.
 */
class StoreWithoutDeadLettersContractTest extends SubscriptionStoreContract {
  @Override
  protected SubscriptionStore createStore() {
    return new WithoutDeadLetters(SubscriptionStore.inMemory());
  }

  /** Only the methods a store had to implement before dead letters. */
  private record WithoutDeadLetters(SubscriptionStore d) implements SubscriptionStore {
    @Override
    public Subscription create(Subscription s) {
      return d.create(s);
    }

    @Override
    public Subscription update(Subscription s, long expectedVersion) {
      return d.update(s, expectedVersion);
    }

    @Override
    public boolean delete(String id) {
      return d.delete(id);
    }

    @Override
    public Optional<Subscription> get(String id) {
      return d.get(id);
    }

    @Override
    public List<Subscription> list() {
      return d.list();
    }

    @Override
    public OnlineState onlineState() {
      return d.onlineState();
    }

    @Override
    public void saveOnlineState(OnlineState state) {
      d.saveOnlineState(state);
    }

    @Override
    public void saveHealth(String id, HealthDetails health) {
      d.saveHealth(id, health);
    }

    @Override
    public Optional<HealthDetails> health(String id) {
      return d.health(id);
    }

    @Override
    public void appendActivity(String id, List<ActivityEvent> events, int keep) {
      d.appendActivity(id, events, keep);
    }

    @Override
    public List<ActivityEvent> recentActivity(String id, int limit) {
      return d.recentActivity(id, limit);
    }

    @Override
    public boolean claimAlert(String id, String key, Instant now, Duration minInterval) {
      return d.claimAlert(id, key, now, minInterval);
    }
  }
}
