package io.webhookd.it;

import io.webhookd.ActivityEvent;
import io.webhookd.DeadLetter;
import io.webhookd.EngineInfo;
import io.webhookd.HealthDetails;
import io.webhookd.OnlineState;
import io.webhookd.Subscription;
import io.webhookd.spi.EngineCommand;
import io.webhookd.spi.SubscriptionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Forwards every call to another store, and does not close it: several engines of one test share
 * a store this way, and a test overrides the one call it wants to fail or hang.
 */
class DelegatingStore implements SubscriptionStore {
  private final SubscriptionStore d;

  DelegatingStore(SubscriptionStore delegate) {
    this.d = delegate;
  }

  @Override public Subscription create(Subscription s) { return d.create(s); }
  @Override public Subscription update(Subscription s, long v) { return d.update(s, v); }
  @Override public boolean delete(String id) { return d.delete(id); }
  @Override public Optional<Subscription> get(String id) { return d.get(id); }
  @Override public List<Subscription> list() { return d.list(); }
  @Override public OnlineState onlineState() { return d.onlineState(); }
  @Override public void saveOnlineState(OnlineState s) { d.saveOnlineState(s); }
  @Override public void saveHealth(String id, HealthDetails h) { d.saveHealth(id, h); }
  @Override public Optional<HealthDetails> health(String id) { return d.health(id); }
  @Override public Map<String, HealthDetails> health(Collection<String> ids) { return d.health(ids); }
  @Override public void appendActivity(String id, List<ActivityEvent> e, int keep) { d.appendActivity(id, e, keep); }
  @Override public List<ActivityEvent> recentActivity(String id, int limit) { return d.recentActivity(id, limit); }
  @Override public boolean claimAlert(String id, String key, Instant now, Duration min) { return d.claimAlert(id, key, now, min); }
  @Override public boolean supportsDeadLetters() { return d.supportsDeadLetters(); }
  @Override public void addDeadLetters(List<DeadLetter> letters) { d.addDeadLetters(letters); }
  @Override public DeadLetter.Page deadLetters(String id, @Nullable String after, int limit) { return d.deadLetters(id, after, limit); }
  @Override public List<DeadLetter> deadLetters(String id, Collection<String> ids) { return d.deadLetters(id, ids); }
  @Override public boolean removeDeadLetter(String id, String dl) { return d.removeDeadLetter(id, dl); }
  @Override public int pruneDeadLetters(Instant before, int keep) { return d.pruneDeadLetters(before, keep); }
  @Override public void addCommand(EngineCommand c) { d.addCommand(c); }
  @Override public List<EngineCommand> pendingCommands(Instant now) { return d.pendingCommands(now); }
  @Override public Optional<EngineCommand> command(String id) { return d.command(id); }
  @Override public boolean completeCommand(String id, String result) { return d.completeCommand(id, result); }
  @Override public void removeCommands(Instant before) { d.removeCommands(before); }
  @Override public void saveEngine(EngineInfo e) { d.saveEngine(e); }
  @Override public List<EngineInfo> engines(Instant since) { return d.engines(since); }
  @Override public void removeEngines(Collection<String> ids) { d.removeEngines(ids); }
  @Override public boolean isShared() { return d.isShared(); }
  @Override public void close() {}
}
