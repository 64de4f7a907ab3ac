package com.example.host;

import io.webhookd.ActivityEvent;
import io.webhookd.EngineInfo;
import io.webhookd.OnlineState;
import io.webhookd.ConflictException;
import io.webhookd.HealthDetails;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionNotFoundException;
import io.webhookd.WebhookdException;
import io.webhookd.spi.SubscriptionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A custom {@link SubscriptionStore} of the host application, on concurrent maps (each change of
 * one subscription is atomic through {@link ConcurrentHashMap#compute}). What a team would start
 * from before putting subscriptions in its own database. Thread-safe.
 */
public final class MapSubscriptionStore implements SubscriptionStore {
  private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
  private final Map<String, HealthDetails> health = new ConcurrentHashMap<>();
  private final Map<String, List<ActivityEvent>> activity = new ConcurrentHashMap<>();
  private final Map<String, Instant> alertClaims = new ConcurrentHashMap<>();
  private final AtomicReference<OnlineState> admin = new AtomicReference<>(OnlineState.initial());
  private final Map<String, EngineInfo> engines = new ConcurrentHashMap<>();

  @Override
  public void saveEngine(EngineInfo engine) {
    engines.put(engine.id(), engine);
  }

  @Override
  public List<EngineInfo> engines(Instant since) {
    return engines.values().stream().filter(e -> !e.lastSeen().isBefore(since)).toList();
  }

  @Override
  public void removeEngines(java.util.Collection<String> ids) {
    ids.forEach(engines::remove);
  }

  @Override
  public Subscription create(Subscription s) {
    if (s.version() != 1) {
      throw new IllegalArgumentException("a new subscription's version must be 1, was " + s.version());
    }
    if (subscriptions.putIfAbsent(s.id(), s) != null) {
      throw new WebhookdException("a subscription with id " + s.id() + " already exists");
    }
    return s;
  }

  @Override
  public Subscription update(Subscription s, long expectedVersion) {
    if (s.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("the updated version must be " + (expectedVersion + 1) + ", was " + s.version());
    }
    subscriptions.compute(s.id(), (id, current) -> {
      if (current == null) {
        throw new SubscriptionNotFoundException(id);
      }
      if (current.version() != expectedVersion) {
        throw new ConflictException(id, expectedVersion, current.version());
      }
      return s;
    });
    return s;
  }

  @Override
  public boolean delete(String id) {
    boolean existed = subscriptions.remove(id) != null;
    health.remove(id);
    activity.remove(id);
    alertClaims.keySet().removeIf(k -> k.startsWith(id + "/"));
    return existed;
  }

  @Override
  public Optional<Subscription> get(String id) {
    return Optional.ofNullable(subscriptions.get(id));
  }

  @Override
  public List<Subscription> list() {
    return subscriptions.values().stream()
        .sorted(Comparator.comparing(Subscription::createdAt).thenComparing(Subscription::id))
        .toList();
  }

  @Override
  public OnlineState onlineState() {
    return admin.get();
  }

  @Override
  public void saveOnlineState(OnlineState state) {
    admin.set(state);
  }

  @Override
  public void saveHealth(String id, HealthDetails snapshot) {
    subscriptions.computeIfPresent(id, (k, s) -> {
      health.put(k, snapshot);
      return s;
    });
  }

  @Override
  public Optional<HealthDetails> health(String id) {
    return Optional.ofNullable(health.get(id));
  }

  @Override
  public void appendActivity(String id, List<ActivityEvent> events, int keep) {
    subscriptions.computeIfPresent(id, (k, s) -> {
      activity.compute(k, (key, old) -> {
        List<ActivityEvent> all = new ArrayList<>(old == null ? List.of() : old);
        all.addAll(events);
        return List.copyOf(all.subList(Math.max(0, all.size() - keep), all.size()));
      });
      return s;
    });
  }

  @Override
  public List<ActivityEvent> recentActivity(String id, int limit) {
    List<ActivityEvent> all = activity.getOrDefault(id, List.of());
    List<ActivityEvent> newestFirst = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && newestFirst.size() < limit; i--) {
      newestFirst.add(all.get(i));
    }
    return newestFirst;
  }

  @Override
  public boolean claimAlert(String id, String key, Instant now, Duration minInterval) {
    boolean[] claimed = {false};
    alertClaims.compute(id + "/" + key, (k, last) -> {
      if (last != null && last.isAfter(now.minus(minInterval))) {
        return last;
      }
      claimed[0] = true;
      return now;
    });
    return claimed[0];
  }
}
