package io.webhookd.server;

import io.webhookd.AdminState;
import io.webhookd.AdminStatus;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.Webhookd;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the REST API needs of the engine: a seam so the HTTP layer reads as the contract of {@link
 * Webhookd} and nothing more. Implementations are thread-safe.
 */
interface Deliveries extends AutoCloseable {
  Subscription subscribe(SubscriptionSpec spec, @Nullable String owner);

  Subscription update(String id, SubscriptionSpec spec, long expectedVersion);

  boolean unsubscribe(String id);

  Optional<Subscription> get(String id);

  List<Subscription> list();

  Optional<SubscriptionStatus> status(String id);

  AdminState setOnline(boolean online, @Nullable String message);

  AdminStatus adminStatus();

  @Override
  void close();

  /** The engine itself. */
  static Deliveries of(Webhookd engine) {
    return new Deliveries() {
      @Override
      public Subscription subscribe(SubscriptionSpec spec, @Nullable String owner) {
        return engine.subscribe(spec, owner);
      }

      @Override
      public Subscription update(String id, SubscriptionSpec spec, long expectedVersion) {
        return expectedVersion < 0 ? engine.update(id, spec) : engine.update(id, spec, expectedVersion);
      }

      @Override
      public boolean unsubscribe(String id) {
        return engine.unsubscribe(id);
      }

      @Override
      public Optional<Subscription> get(String id) {
        return engine.get(id);
      }

      @Override
      public List<Subscription> list() {
        return engine.list();
      }

      @Override
      public Optional<SubscriptionStatus> status(String id) {
        return engine.status(id);
      }

      @Override
      public AdminState setOnline(boolean online, @Nullable String message) {
        return engine.setOnline(online, message);
      }

      @Override
      public AdminStatus adminStatus() {
        return engine.adminStatus();
      }

      @Override
      public void close() {
        engine.close();
      }
    };
  }
}
