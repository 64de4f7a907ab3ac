package io.webhookd.internal;

import io.webhookd.DeadLetter;
import io.webhookd.spi.EngineCommand;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A {@link SubscriptionStore} in memory. Thread-safe (one lock); nothing survives the process. */
public final class InMemoryStore implements SubscriptionStore {
  private final Map<String, Subscription> subscriptions = new HashMap<>();
  private final Map<String, HealthDetails> health = new HashMap<>();
  private final Map<String, Deque<ActivityEvent>> activity = new HashMap<>();
  private final Map<String, Instant> alertClaims = new HashMap<>();
  private final Map<String, TreeMap<String, DeadLetter>> deadLetters = new HashMap<>();
  private final Map<String, EngineCommand> commands = new LinkedHashMap<>();
  private OnlineState admin = OnlineState.initial();
  private final Map<String, EngineInfo> engines = new HashMap<>();

  @Override
  public synchronized void saveEngine(EngineInfo engine) {
    engines.put(engine.id(), engine);
  }

  @Override
  public synchronized List<EngineInfo> engines(Instant since) {
    List<EngineInfo> found = new ArrayList<>();
    for (EngineInfo e : engines.values()) {
      if (!e.lastSeen().isBefore(since)) {
        found.add(e);
      }
    }
    return found;
  }

  @Override
  public synchronized void removeEngines(java.util.Collection<String> ids) {
    ids.forEach(engines::remove);
  }

  @Override
  public synchronized Subscription create(Subscription s) {
    if (s.version() != 1) {
      throw new IllegalArgumentException("a new subscription's version must be 1, was " + s.version());
    }
    if (subscriptions.containsKey(s.id())) {
      throw new WebhookdException("a subscription with id " + s.id() + " already exists");
    }
    subscriptions.put(s.id(), s);
    return s;
  }

  @Override
  public synchronized Subscription update(Subscription s, long expectedVersion) {
    Subscription current = subscriptions.get(s.id());
    if (current == null) {
      throw new SubscriptionNotFoundException(s.id());
    }
    if (current.version() != expectedVersion) {
      throw new ConflictException(s.id(), expectedVersion, current.version());
    }
    if (s.version() != expectedVersion + 1) {
      throw new IllegalArgumentException(
          "the updated version must be " + (expectedVersion + 1) + ", was " + s.version());
    }
    subscriptions.put(s.id(), s);
    return s;
  }

  @Override
  public synchronized boolean delete(String id) {
    health.remove(id);
    activity.remove(id);
    alertClaims.keySet().removeIf(k -> k.startsWith(id + "/"));
    deadLetters.remove(id);
    return subscriptions.remove(id) != null;
  }

  @Override
  public synchronized Optional<Subscription> get(String id) {
    return Optional.ofNullable(subscriptions.get(id));
  }

  @Override
  public synchronized List<Subscription> list() {
    List<Subscription> all = new ArrayList<>(subscriptions.values());
    all.sort(Comparator.comparing(Subscription::createdAt).thenComparing(Subscription::id));
    return all;
  }

  @Override
  public synchronized OnlineState onlineState() {
    return admin;
  }

  @Override
  public synchronized void saveOnlineState(OnlineState state) {
    admin = state;
  }

  @Override
  public synchronized void saveHealth(String id, HealthDetails snapshot) {
    if (subscriptions.containsKey(id)) {
      health.put(id, snapshot);
    }
  }

  @Override
  public synchronized Optional<HealthDetails> health(String id) {
    return Optional.ofNullable(health.get(id));
  }

  @Override
  public synchronized void appendActivity(String id, List<ActivityEvent> events, int keep) {
    if (!subscriptions.containsKey(id)) {
      return;
    }
    Deque<ActivityEvent> d = activity.computeIfAbsent(id, k -> new ArrayDeque<>());
    for (ActivityEvent e : events) {
      d.addLast(e);
    }
    while (d.size() > keep) {
      d.removeFirst();
    }
  }

  @Override
  public synchronized List<ActivityEvent> recentActivity(String id, int limit) {
    Deque<ActivityEvent> d = activity.get(id);
    if (d == null) {
      return List.of();
    }
    List<ActivityEvent> out = new ArrayList<>(Math.min(limit, d.size()));
    Iterator<ActivityEvent> it = d.descendingIterator();
    while (it.hasNext() && out.size() < limit) {
      out.add(it.next());
    }
    return out;
  }

  @Override
  public synchronized boolean claimAlert(String id, String key, Instant now, Duration minInterval) {
    String k = id + "/" + key;
    Instant last = alertClaims.get(k);
    if (last != null && last.isAfter(now.minus(minInterval))) {
      return false;
    }
    alertClaims.put(k, now);
    return true;
  }

  @Override
  public boolean supportsDeadLetters() {
    return true;
  }

  @Override
  public synchronized void addDeadLetters(List<DeadLetter> letters) {
    for (DeadLetter d : letters) {
      deadLetters.computeIfAbsent(d.subscriptionId(), k -> new TreeMap<>()).putIfAbsent(d.id(), d);
    }
  }

  @Override
  public synchronized DeadLetter.Page deadLetters(String subscriptionId, @Nullable String after, int limit) {
    TreeMap<String, DeadLetter> all = deadLetters.getOrDefault(subscriptionId, new TreeMap<>());
    NavigableMap<String, DeadLetter> tail = after == null ? all : all.tailMap(after, false);
    List<DeadLetter> page = new ArrayList<>(Math.min(limit, tail.size()));
    for (DeadLetter d : tail.values()) {
      if (page.size() == limit) {
        break;
      }
      page.add(d);
    }
    boolean more = tail.size() > page.size();
    return new DeadLetter.Page(page, more && !page.isEmpty() ? page.get(page.size() - 1).id() : null);
  }

  @Override
  public synchronized List<DeadLetter> deadLetters(String subscriptionId, Collection<String> ids) {
    TreeMap<String, DeadLetter> all = deadLetters.getOrDefault(subscriptionId, new TreeMap<>());
    return new TreeSet<>(ids).stream().map(all::get).filter(Objects::nonNull).toList();
  }

  @Override
  public synchronized boolean removeDeadLetter(String subscriptionId, String id) {
    TreeMap<String, DeadLetter> all = deadLetters.get(subscriptionId);
    return all != null && all.remove(id) != null;
  }

  @Override
  public synchronized int pruneDeadLetters(Instant before, int keepPerSubscription) {
    int removed = 0;
    for (TreeMap<String, DeadLetter> all : deadLetters.values()) {
      Iterator<DeadLetter> it = all.values().iterator();
      while (it.hasNext()) {
        DeadLetter d = it.next();
        if (all.size() > keepPerSubscription || d.deadLetteredAt().isBefore(before)) {
          it.remove();
          removed++;
        }
      }
    }
    return removed;
  }

  @Override
  public synchronized void addCommand(EngineCommand command) {
    commands.putIfAbsent(command.id(), command);
  }

  @Override
  public synchronized List<EngineCommand> pendingCommands(Instant now) {
    // oldest by createdAt (not by when added: engines add with their own clocks), as a SQL store
    return commands.values().stream()
        .filter(c -> c.pendingAt(now))
        .sorted(Comparator.comparing(EngineCommand::createdAt).thenComparing(EngineCommand::id))
        .toList();
  }

  @Override
  public synchronized Optional<EngineCommand> command(String id) {
    return Optional.ofNullable(commands.get(id));
  }

  @Override
  public synchronized boolean completeCommand(String id, String result) {
    EngineCommand c = commands.get(id);
    if (c == null || c.result() != null) {
      return false;
    }
    commands.put(
        id,
        new EngineCommand(c.id(), c.subscriptionId(), c.kind(), c.argument(), c.createdAt(), c.expiresAt(), result));
    return true;
  }

  @Override
  public synchronized void removeCommands(Instant before) {
    commands.values().removeIf(c -> c.createdAt().isBefore(before));
  }
}
