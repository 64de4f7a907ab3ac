package io.webhookd.internal;

import io.webhookd.ActivityEvent;
import io.webhookd.OnlineState;
import io.webhookd.AdminStatus;
import io.webhookd.Health;
import io.webhookd.EngineClosedException;
import io.webhookd.HealthDetails;
import io.webhookd.Problem;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionNotFoundException;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.ValidationException;
import io.webhookd.WebhookdException;
import io.webhookd.spi.Alert;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.RowFilterPolicy;
import io.webhookd.spi.Batcher;
import io.webhookd.spi.Retrier;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import io.webhookd.spi.WebhookDestinationProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link io.webhookd.Webhookd}: keeps one {@link SubscriptionRunner} per active
 * subscription, applies changes (its own, and other engines' when the store is shared), and turns
 * health changes into alerts. Thread-safe: changes are serialized by one lock; reads are not.
 */
public final class Engine implements AutoCloseable, SubscriptionRunner.Host {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  /** Everything the builder collected. */
  /**
   * Everything the builder collected.
   *
   * @param destinations the transport of each URL scheme ({@code http}, {@code https}, a user's
   *     own); when none serves {@code http}/{@code https}, one is found with {@link ServiceLoader}
   * @param openTelemetry an {@code io.opentelemetry.api.OpenTelemetry} for the spans of delivery
   *     attempts, or {@code null} for {@code GlobalOpenTelemetry} (once set) when the API is present
   */
  public record Config(
      Map<String, Object> kafka,
      Map<String, WebhookDestination> destinations,
      @Nullable SubscriptionStore store,
      List<SubscriptionListener> listeners,
      @Nullable AlertChannel alertChannel,
      @Nullable Object meterRegistry,
      RowFilterPolicy rowFilterPolicy,
      Duration requestTimeout,
      Duration shutdownTimeout,
      Duration storePollInterval,
      Duration alertMinInterval,
      Duration alertReminderInterval,
      int activityLimit,
      Batcher.Factory batchers,
      Retrier.Factory retriers,
      Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerFactory,
      @Nullable Object openTelemetry,
      Retention deadLetterRetention) {

    public Config {
      kafka = Map.copyOf(kafka);
      destinations = Map.copyOf(destinations);
      listeners = List.copyOf(listeners);
    }

    /** With one destination for {@code http} and {@code https} (or none: found with {@link ServiceLoader}), the subscriptions' own batching and retries, and real {@link KafkaConsumer}s. */
    public Config(
        Map<String, Object> kafka,
        @Nullable WebhookDestination destination,
        @Nullable SubscriptionStore store,
        List<SubscriptionListener> listeners,
        @Nullable AlertChannel alertChannel,
        @Nullable Object meterRegistry,
        RowFilterPolicy rowFilterPolicy,
        Duration requestTimeout,
        Duration shutdownTimeout,
        Duration storePollInterval,
        Duration alertMinInterval,
        Duration alertReminderInterval,
        int activityLimit) {
      this(kafka, destination == null ? Map.of() : Map.of("http", destination, "https", destination), store, listeners,
          alertChannel, meterRegistry, rowFilterPolicy, requestTimeout, shutdownTimeout, storePollInterval,
          alertMinInterval, alertReminderInterval, activityLimit, Batcher.Factory.FROM_SPEC, Retrier.Factory.FROM_SPEC,
          KafkaConsumer::new, null, Retention.DEFAULT);
    }

    /** The same, with consumers made by {@code factory} from their properties (tests wrap real consumers). */
    public Config withConsumerFactory(Function<Map<String, Object>, Consumer<byte[], byte[]>> factory) {
      return new Config(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          factory, openTelemetry, deadLetterRetention);
    }

    /** The same, with spans through {@code openTelemetry} (an {@code io.opentelemetry.api.OpenTelemetry}). */
    public Config withOpenTelemetry(Object openTelemetry) {
      return new Config(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          consumerFactory, openTelemetry, deadLetterRetention);
    }
  }

  /** How long dead letters are kept, and how many per subscription at most. */
  public record Retention(Duration maxAge, int maxPerSubscription) {
    /** 14 days, 100,000 per subscription. */
    public static final Retention DEFAULT = new Retention(Duration.ofDays(14), 100_000);
  }

  private final Config config;
  private final Destinations destinations;
  private final SubscriptionStore store;
  private final AlertChannel alertChannel;
  private final SubscriptionListener listener;
  private final Metrics metrics;
  private final Tracing tracing;
  private final Reporter reporter;
  private final Object lock = new Object();
  private final Map<String, SubscriptionRunner> runners = new ConcurrentHashMap<>();
  private final Map<String, Long> knownVersions = new HashMap<>();
  private final Map<String, Fences> fences = new ConcurrentHashMap<>();
  /** Why a subscription this engine should run cannot run, by id. */
  private final Map<String, String> problems = new ConcurrentHashMap<>();
  /** Replay holds by subscription id: this engine's own, and those other engines asked for through the store. */
  private final Map<String, Set<String>> holds = new ConcurrentHashMap<>();
  private volatile Set<String> remoteHolds = Set.of();
  private final String engineId = UUID.randomUUID().toString();
  private final java.util.concurrent.ExecutorService background =
      java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "webhookd-operations");
        t.setDaemon(true);
        return t;
      });
  private final Operations operations;
  private final DeadLettering deadLettering;
  private volatile OnlineState admin;
  private volatile boolean closed;

  private Engine(Config config) {
    this.config = config;
    this.destinations = Destinations.of(config.destinations());
    this.store = config.store() != null ? config.store() : SubscriptionStore.inMemory();
    this.alertChannel = config.alertChannel() != null ? config.alertChannel() : AlertChannel.logging();
    this.listener = composite(config.listeners());
    this.metrics = Metrics.create(config.meterRegistry());
    this.tracing = Tracing.create(config.openTelemetry());
    this.reporter = new Reporter(store, alertChannel, config.activityLimit(), config.alertMinInterval());
    this.admin = store.onlineState();
    this.operations = new Operations(this, store, reporter, metrics, background);
    this.deadLettering = new DeadLettering(store, reporter, metrics, this::deadLetterAlert, operations::resendOneByOne);
  }

  public static Engine start(Config config) {
    KafkaSettings.check(config);
    Engine e = new Engine(config);
    try {
      e.startAll();
    } catch (RuntimeException ex) {
      e.close();
      throw ex;
    }
    return e;
  }

  /** Every listener, each call guarded: one that throws is logged and the others still hear it. */
  private static SubscriptionListener composite(List<SubscriptionListener> ls) {
    return ls.isEmpty() ? SubscriptionListener.NONE : new CompositeListener(ls);
  }

  private void startAll() {
    synchronized (lock) {
      for (Subscription s : store.list()) {
        knownVersions.put(s.id(), s.version());
        if (s.spec().active() && admin.online()) {
          startRunner(s, null);
        }
      }
    }
    long period = Math.min(config.alertReminderInterval().toMillis(), 60_000);
    reporter.executor().scheduleWithFixedDelay(this::remindUnhealthy, period, period, TimeUnit.MILLISECONDS);
    if (store.isShared()) {
      long poll = config.storePollInterval().toMillis();
      reporter.executor().scheduleWithFixedDelay(this::syncWithStore, poll, poll, TimeUnit.MILLISECONDS);
    }
    if (store.supportsDeadLetters()) {
      reporter.executor().scheduleWithFixedDelay(this::housekeeping, 1, 10, TimeUnit.MINUTES);
    }
  }

  /** Dead letters past their retention, and old commands, go. */
  private void housekeeping() {
    try {
      Retention r = config.deadLetterRetention();
      int n = store.pruneDeadLetters(Instant.now().minus(r.maxAge()), r.maxPerSubscription());
      if (n > 0) {
        log.info("{} dead letter(s) past their retention removed", n);
      }
      if (store.isShared()) {
        store.removeCommands(Instant.now().minus(Duration.ofHours(1)));
      }
    } catch (RuntimeException e) {
      log.warn("dead letter retention: {}", e.toString());
    }
  }

  // ------------------------------------------------------------------ operations

  public Subscription subscribe(SubscriptionSpec spec, @Nullable String owner) {
    checkOpen();
    check(spec);
    Instant now = Instant.now();
    Subscription s = new Subscription(UUID.randomUUID().toString(), spec, owner, 1, now, now);
    synchronized (lock) {
      store.create(s);
      knownVersions.put(s.id(), s.version());
      if (spec.active() && admin.online()) {
        startRunner(s, "subscription registered");
      } else {
        reporter.activity(s.id(), ActivityEvent.stateChange(now, ActivityEvent.Type.INACTIVE,
            spec.active() ? "registered while webhooks are offline: " + admin.offlineMessage() : "registered inactive"));
      }
    }
    return s;
  }

  public Subscription update(String id, SubscriptionSpec spec, long expectedVersion) {
    checkOpen();
    check(spec);
    synchronized (lock) {
      Subscription current = store.get(id).orElseThrow(() -> new SubscriptionNotFoundException(id));
      long expected = expectedVersion < 0 ? current.version() : expectedVersion;
      Subscription updated = current.withSpec(spec, expected + 1, Instant.now());
      store.update(updated, expected);
      knownVersions.put(id, updated.version());
      apply(updated, current);
      return updated;
    }
  }

  public boolean unsubscribe(String id) {
    checkOpen();
    synchronized (lock) {
      stopRunner(id, null);
      knownVersions.remove(id);
      fences.remove(id);
      boolean existed = store.delete(id);
      reporter.forget(id);
      return existed;
    }
  }

  public Optional<Subscription> get(String id) {
    return store.get(id);
  }

  public List<Subscription> list() {
    return store.list();
  }

  public Optional<SubscriptionStatus> status(String id) {
    Optional<Subscription> found = store.get(id);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Subscription s = found.get();
    SubscriptionRunner r = runners.get(id);
    HealthDetails h = currentHealth(s, r);
    String problem = problems.get(id);
    Health shown = (!s.spec().active() || !admin.online()) ? Health.INACTIVE : problem != null ? Health.UNHEALTHY : h.deliveryHealth();
    // activity: what is written, plus what is still on its way to the store
    LinkedHashSet<ActivityEvent> events = new LinkedHashSet<>(reporter.pendingActivity(id));
    events.addAll(store.recentActivity(id, config.activityLimit()));
    List<ActivityEvent> sorted = new ArrayList<>(events);
    sorted.sort((a, b) -> b.timestamp().compareTo(a.timestamp()));
    if (sorted.size() > config.activityLimit()) {
      sorted = sorted.subList(0, config.activityLimit());
    }
    Long lag = r == null || r.lag() < 0 ? null : r.lag();
    return Optional.of(
        new SubscriptionStatus(
            id, s.spec().name(), s.spec().active(), Secrets.maskUrl(s.spec().destination().url()),
            Instant.now(), shown, h, lag, sorted, problem));
  }

  private HealthDetails currentHealth(Subscription s, @Nullable SubscriptionRunner r) {
    if (r != null) {
      return r.health.snapshot();
    }
    HealthDetails pending = reporter.pendingHealth(s.id());
    if (pending != null) {
      return pending;
    }
    return store.health(s.id()).orElseGet(() -> HealthDetails.initial(Health.INACTIVE, s.createdAt()));
  }

  public OnlineState setOnline(boolean online, String message) {
    checkOpen();
    synchronized (lock) {
      OnlineState state = new OnlineState(online, online ? "" : message, Instant.now());
      store.saveOnlineState(state);
      applyAdmin(state);
      return state;
    }
  }

  public AdminStatus adminStatus() {
    List<AdminStatus.Webhook> hooks = new ArrayList<>();
    OnlineState state = admin;
    for (Subscription s : store.list()) {
      SubscriptionRunner r = runners.get(s.id());
      HealthDetails h = currentHealth(s, r);
      Health shown =
          (!s.spec().active() || !state.online()) ? Health.INACTIVE : problems.containsKey(s.id()) ? Health.UNHEALTHY : h.deliveryHealth();
      hooks.add(new AdminStatus.Webhook(s.id(), s.spec().name(), h.since(), shown, s.spec().topics()));
    }
    return new AdminStatus(state, hooks);
  }

  /** Whether this engine runs the subscription: accepted for running here and not stopped (restarting after an error included). */
  public boolean isRunning(String id) {
    return runners.containsKey(id);
  }

  /**
   * For webhookd's own recovery tests, not reachable through {@code Webhookd}: stops as a process
   * that died would: consumers stop at once without committing anything more
   * or leaving their groups (they time out of them), open requests are cut off (the transport is
   * closed), nothing else is written. For recovery tests.
   */
  public void abandonForTesting() {
    closed = true;
    for (SubscriptionRunner r : runners.values()) {
      r.requestStop(SubscriptionRunner.StopMode.ABANDON);
    }
    for (SubscriptionRunner r : runners.values()) {
      await(r);
    }
    runners.clear();
    reporter.executor().shutdownNow();
    destinations.distinct().forEach(Engine::closeQuietly);
  }

  @Override
  public void close() {
    if (closed && runners.isEmpty()) {
      return;
    }
    closed = true;
    List<SubscriptionRunner> all = new ArrayList<>(runners.values());
    for (SubscriptionRunner r : all) {
      r.requestStop(SubscriptionRunner.StopMode.GRACEFUL);
    }
    for (SubscriptionRunner r : all) {
      await(r);
    }
    runners.clear();
    background.shutdownNow();
    reporter.close();
    destinations.distinct().forEach(Engine::closeQuietly);
    closeQuietly(alertChannel);
    closeQuietly(store);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("error while closing {}: {}", c.getClass().getName(), e.toString());
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new EngineClosedException();
    }
  }

  /**
   * Checks a spec given to this engine: every rule of the spec (it may have been made without its
   * builder), and that a destination of this engine serves its URL and accepts it (the SSRF
   * guard); every problem at once, before anything is stored.
   */
  private void check(SubscriptionSpec spec) {
    List<Problem> problems = new ArrayList<>();
    try {
      spec.validate();
    } catch (ValidationException e) {
      problems.addAll(e.problems());
    }
    if (problems.stream().noneMatch(p -> p.field().equals("destination.webhook.url"))) {
      String why = destinations.check(spec.destination().url());
      if (why != null) {
        problems.add(new Problem("destination.webhook.url", why));
      }
    }
    if (spec.retry().onExhausted() == io.webhookd.OnExhausted.DEAD_LETTER && !store.supportsDeadLetters()) {
      problems.add(new Problem("configuration.retry.on_exhausted",
          "\"dead_letter\" needs a store that keeps dead letters; " + store.getClass().getName() + " keeps none"));
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(problems);
    }
  }

  // ------------------------------------------------------------------ runners

  /** Makes the local runners match a changed subscription. Caller holds the lock. */
  private void apply(Subscription updated, @Nullable Subscription before) {
    boolean wasActive = before != null && before.spec().active();
    boolean active = updated.spec().active();
    boolean hadRunner = runners.containsKey(updated.id());
    String reason = before == null ? "subscription registered" : "subscription updated";
    if (hadRunner) {
      stopRunner(updated.id(), active && admin.online() ? null : "subscription deactivated");
    } else if (wasActive && !active) {
      reporter.activity(updated.id(), ActivityEvent.stateChange(Instant.now(), ActivityEvent.Type.INACTIVE, "subscription deactivated"));
    }
    if (active && admin.online() && !closed) {
      startRunner(updated, hadRunner && wasActive ? null : reason);
    }
  }

  private void applyAdmin(OnlineState state) {
    boolean changed = state.online() != admin.online();
    admin = state;
    if (!changed) {
      return;
    }
    if (!state.online()) {
      for (String id : new ArrayList<>(runners.keySet())) {
        stopRunner(id, "webhooks taken offline" + (state.offlineMessage().isEmpty() ? "" : ": " + state.offlineMessage()));
      }
    } else if (!closed) {
      for (Subscription s : store.list()) {
        if (s.spec().active() && !runners.containsKey(s.id())) {
          startRunner(s, "webhooks brought online");
        }
      }
    }
  }

  private void startRunner(Subscription s, @Nullable String activeReason) {
    if (held(s.id())) {
      return; // a replay is moving its offsets; it starts again when the hold is released
    }
    HealthDetails stored = reporter.pendingHealth(s.id());
    if (stored == null) {
      try {
        stored = store.health(s.id()).orElse(null);
      } catch (RuntimeException e) {
        stored = null;
      }
    }
    SubscriptionRunner r;
    try {
      r = new SubscriptionRunner(s, this, stored);
    } catch (RuntimeException e) {
      // one subscription that cannot run must not keep the engine or the others from running
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      if (problems.put(s.id(), why) == null) {
        log.error("subscription {} cannot run on this engine: {}", s.id(), why, e);
        reporter.activity(s.id(), ActivityEvent.stateChange(Instant.now(), ActivityEvent.Type.INACTIVE, "cannot run: " + why));
      }
      return;
    }
    problems.remove(s.id());
    runners.put(s.id(), r);
    if (activeReason != null) {
      r.recordState(ActivityEvent.Type.ACTIVE, activeReason);
    }
    reporter.health(s.id(), r.health.snapshot());
    r.start();
  }

  private void stopRunner(String id, @Nullable String inactiveReason) {
    problems.remove(id);
    SubscriptionRunner r = runners.remove(id);
    if (r == null) {
      return;
    }
    r.requestStop(SubscriptionRunner.StopMode.GRACEFUL);
    await(r);
    if (inactiveReason != null) {
      r.recordState(ActivityEvent.Type.INACTIVE, inactiveReason);
    }
  }

  private void await(SubscriptionRunner r) {
    try {
      if (!r.awaitStopped(config.shutdownTimeout().plusSeconds(15))) {
        log.warn("subscription {} did not stop in time", r.subscription().id());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Applies changes other engines made to a shared store. Runs on the reporter thread. */
  private void syncWithStore() {
    if (closed) {
      return;
    }
    try {
      List<Subscription> all = store.list();
      OnlineState state = store.onlineState();
      synchronized (lock) {
        if (closed) {
          return;
        }
        if (state.online() != admin.online()) {
          log.info("webhooks {} by another engine", state.online() ? "brought online" : "taken offline");
          applyAdmin(state);
        } else {
          admin = state;
        }
        Set<String> seen = new HashSet<>();
        for (Subscription s : all) {
          seen.add(s.id());
          Long known = knownVersions.get(s.id());
          if (known == null || known != s.version()) {
            knownVersions.put(s.id(), s.version());
            SubscriptionRunner r = runners.get(s.id());
            if (known == null || r == null || r.subscription().version() != s.version()) {
              if (r != null) {
                stopRunner(s.id(), null);
              }
              if (s.spec().active() && admin.online()) {
                startRunner(s, null);
              }
            }
          }
        }
        for (String id : new ArrayList<>(knownVersions.keySet())) {
          if (!seen.contains(id)) {
            knownVersions.remove(id);
            stopRunner(id, null);
            reporter.forget(id);
          }
        }
      }
      applyCommands(store.pendingCommands(Instant.now()));
    } catch (RuntimeException e) {
      log.warn("cannot read changes from the store ({}); will try again", e.toString());
    }
  }

  /** Follows the holds and skips other engines asked for. */
  private void applyCommands(List<io.webhookd.spi.EngineCommand> pending) {
    Set<String> held = new HashSet<>();
    for (io.webhookd.spi.EngineCommand c : pending) {
      if (c.kind() == io.webhookd.spi.EngineCommand.Kind.HOLD) {
        held.add(c.subscriptionId());
      } else if (c.kind() == io.webhookd.spi.EngineCommand.Kind.SKIP) {
        operations.onSkipCommand(c);
      }
    }
    Set<String> before = remoteHolds;
    synchronized (lock) {
      remoteHolds = Set.copyOf(held);
      for (String id : held) {
        if (!before.contains(id) && runners.containsKey(id)) {
          stopRunner(id, "replay: stopped so that the group's offsets can move");
        }
      }
      for (String id : before) {
        if (!held.contains(id) && !held(id) && !closed) {
          store.get(id).filter(s -> s.spec().active() && admin.online() && !runners.containsKey(id))
              .ifPresent(s -> startRunner(s, "replay done: delivering from the new positions"));
        }
      }
    }
  }

  private boolean held(String id) {
    Set<String> mine = holds.get(id);
    return (mine != null && !mine.isEmpty()) || remoteHolds.contains(id);
  }

  /** Stops the subscription on this engine until {@link #release}: a replay moves its group's offsets. */
  void hold(String id, String holdId) {
    synchronized (lock) {
      holds.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(holdId);
      stopRunner(id, "replay: stopped so that the group's offsets can move");
    }
  }

  /** Ends a hold: the subscription runs again (from its group's offsets) if nothing else holds it. */
  void release(String id, String holdId) {
    synchronized (lock) {
      Set<String> mine = holds.get(id);
      if (mine != null) {
        mine.remove(holdId);
        if (mine.isEmpty()) {
          holds.remove(id);
        }
      }
      if (!held(id) && !closed) {
        store.get(id).filter(s -> s.spec().active() && admin.online() && !runners.containsKey(id))
            .ifPresent(s -> startRunner(s, "replay done: delivering from the new positions"));
      }
    }
  }

  @Nullable SubscriptionRunner runner(String id) {
    return runners.get(id);
  }

  /** This engine's id, unique per process run. */
  public String engineId() {
    return engineId;
  }

  // ------------------------------------------------------------------ day-2 operations

  private Subscription require(String id) {
    checkOpen();
    return store.get(id).orElseThrow(() -> new SubscriptionNotFoundException(id));
  }

  public io.webhookd.DeadLetter.Page deadLetters(String id, @Nullable String after, int limit) {
    return operations.deadLetters(require(id), after, limit);
  }

  public int redeliver(String id, @Nullable List<String> ids, @Nullable String who) {
    return operations.redeliver(require(id), ids, who);
  }

  public boolean discardDeadLetter(String id, String deadLetterId, @Nullable String who) {
    return operations.discard(require(id), deadLetterId, who);
  }

  public void skip(String id, String batchId, @Nullable String who) {
    operations.skip(require(id), batchId, who);
  }

  public List<io.webhookd.Position> replay(String id, io.webhookd.ReplayFrom from, @Nullable String who) {
    return operations.replay(require(id), from, who);
  }

  public io.webhookd.TestDelivery sendTest(String id, @Nullable String who) {
    return operations.sendTest(require(id), who);
  }

  public io.webhookd.FilterPreview previewFilters(List<SubscriptionSpec.Source> sources, int limit, @Nullable String owner) {
    checkOpen();
    return operations.preview(sources, limit, owner);
  }

  @Override
  public DeadLettering deadLettering() {
    return deadLettering;
  }

  /** A mail that messages were dead-lettered, at most one per subscription per alert interval (claimed in the store). */
  private void deadLetterAlert(String id, int count, @Nullable DeliveryResult last) {
    SubscriptionRunner r = runners.get(id);
    if (r != null) {
      sendAlert(r, Alert.Kind.DEAD_LETTERED, count + " message(s) were moved to the dead letters after their retries were"
          + " exhausted or they were skipped; delivery goes on; see the dead letters to redeliver or discard them");
    }
  }

  // ------------------------------------------------------------------ Host

  @Override
  public Config config() {
    return config;
  }

  @Override
  public WebhookDestination destination(Subscription s) {
    WebhookDestination d = destinations.forUrl(s.spec().destination().url());
    if (d == null) {
      throw new WebhookdException("no destination serves " + Secrets.maskUrl(s.spec().destination().url()));
    }
    return d;
  }

  @Override
  public Batcher batcher(Subscription s) {
    return config.batchers().create(s);
  }

  @Override
  public Retrier retrier(Subscription s) {
    return config.retriers().create(s);
  }

  @Override
  public SubscriptionListener listener() {
    return listener;
  }

  @Override
  public Reporter reporter() {
    return reporter;
  }

  @Override
  public Metrics metrics() {
    return metrics;
  }

  @Override
  public Tracing tracing() {
    return tracing;
  }

  @Override
  public List<String> rowFilters(Subscription s, String topic) {
    return config.rowFilterPolicy().filtersFor(s, topic);
  }

  /**
   * How long the broker may hold a fetch that finds no new data: the subscription's max batch
   * interval, between 100 and 500 ms (Kafka's default). The consumer sends one fetch at a time
   * to a broker, and leaves out partitions it still holds records of or that are paused; when
   * the rest have no new data, that fetch waits the whole time while the left-out partitions,
   * drained meanwhile, wait behind it. With one partition at its end and others catching up,
   * they got about one fetch per wait: measured (load-test bench, batch 100, interval 100 ms),
   * the last 2 to 4% of a backlog took 40% of the time, and the median rate went from 84k to
   * 138k msg/s with the wait at 100 ms. The bound keeps that delay within the batching delay the
   * subscription accepts anyway; a shorter wait costs idle subscriptions more fetches.
   */
  static int fetchMaxWaitMillis(Subscription s) {
    long interval = s.spec().batching().maxBatchInterval().toMillis();
    return (int) Math.max(100, Math.min(500, interval));
  }

  @Override
  public Consumer<byte[], byte[]> newConsumer(Subscription s) {
    return config.consumerFactory().apply(consumerProperties(config, s));
  }

  @Override
  public Fences fences(String subscriptionId) {
    return fences.computeIfAbsent(subscriptionId, Fences::new);
  }

  /** The properties of a subscription's consumer: webhookd's defaults, then the configured ones, then what webhookd needs. */
  static Map<String, Object> consumerProperties(Config config, Subscription s) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    if (!KafkaSettings.consumerProtocol(config.kafka())) {
      // the classic protocol's member session; the consumer protocol (KIP-848) sets it on the broker
      props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
    }
    // The operating system's socket receive buffer, which Linux grows to fit, instead of the
    // client's fixed 64 KiB: a 1 MiB fetch then takes a few reads instead of sixteen or more.
    // Measured (load-test bench, batch 1000): about 7% less CPU per message in the engine's JVM
    // and 10% less in the broker's.
    props.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, -1);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchMaxWaitMillis(s));
    props.putAll(config.kafka());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, s.groupId());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "webhookd-" + s.id());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }

  @Override
  public void healthChanged(SubscriptionRunner runner, Health from, Health to, @Nullable DeliveryResult last) {
    Alert.Kind kind = to == Health.UNHEALTHY ? Alert.Kind.UNHEALTHY : Alert.Kind.RECOVERED;
    String next =
        kind == Alert.Kind.UNHEALTHY
            ? "webhookd keeps retrying the same batch every "
                + describe(runner.exhaustedRetryInterval())
                + "; nothing is skipped or committed until the webhook accepts it"
            : "webhookd is delivering again, starting with the batch that failed";
    sendAlert(runner, kind, next);
  }

  @Override
  public void gone(SubscriptionRunner runner, DeliveryResult result) {
    String id = runner.subscription().id();
    log.warn("webhook of subscription {} answered 410 Gone: disabling the subscription", id);
    sendAlert(runner, Alert.Kind.DISABLED,
        "the subscription was set inactive because the webhook answered 410 Gone; messages stay in Kafka"
            + " uncommitted; set it active again to resume");
    reporter.executor().execute(() -> {
      synchronized (lock) {
        if (closed) {
          return;
        }
        try {
          Subscription current = store.get(id).orElse(null);
          if (current == null || !current.spec().active()) {
            return;
          }
          SubscriptionSpec off = current.spec().toBuilder().active(false).build();
          Subscription updated = current.withSpec(off, current.version() + 1, Instant.now());
          store.update(updated, current.version());
          knownVersions.put(id, updated.version());
          apply(updated, current);
        } catch (RuntimeException e) {
          log.warn("could not disable subscription {}: {}", id, e.toString());
        }
      }
    });
  }

  @Override
  public void crashed(SubscriptionRunner runner, Throwable error) {
    if (closed) {
      return;
    }
    reporter.executor().schedule(() -> {
      synchronized (lock) {
        String id = runner.subscription().id();
        if (closed || runners.get(id) != runner) {
          return;
        }
        runners.remove(id);
        store.get(id).filter(s -> s.spec().active() && admin.online()).ifPresent(s -> startRunner(s, "restarted after an error"));
      }
    }, 5, TimeUnit.SECONDS);
  }

  /** {@code 1 s}, {@code 250 ms}, {@code 1.5 s}, {@code 2 min}: how an alert states an interval. */
  static String describe(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms % 60_000 == 0) {
      return (ms / 60_000) + " min";
    }
    if (ms % 1000 == 0) {
      return (ms / 1000) + " s";
    }
    return (ms / 1000.0) + " s";
  }

  private void sendAlert(SubscriptionRunner runner, Alert.Kind kind, String nextStep) {
    Subscription s = runner.subscription();
    HealthDetails h = runner.health.snapshot();
    if (s.spec().alerting() == null) {
      log.info("subscription {} {} (no alerting configured)", s.id(), kind.wireName());
      return;
    }
    Alert alert =
        new Alert(
            kind, s.id(), s.spec().name(), Secrets.maskUrl(s.spec().destination().url()),
            s.spec().alerting().emails(), Instant.now(), h.lastResponseCode(), h.lastError(),
            h.lastSuccessAt(), runner.lag() < 0 ? null : runner.lag(), nextStep);
    reporter.alert(alert, (description, at, sent) -> {
      runner.health.alert(description, at, sent);
      reporter.health(s.id(), runner.health.snapshot());
    });
  }

  private void remindUnhealthy() {
    Instant now = Instant.now();
    for (SubscriptionRunner r : runners.values()) {
      HealthDetails h = r.health.snapshot();
      if (h.deliveryHealth() == Health.UNHEALTHY
          && h.since().plus(config.alertReminderInterval()).isBefore(now)
          && (h.lastAlertAt() == null || h.lastAlertAt().plus(config.alertReminderInterval()).isBefore(now))) {
        sendAlert(r, Alert.Kind.REMINDER, "webhookd keeps retrying; nothing is skipped");
      }
    }
  }

  /** Calls every listener; one that throws does not stop the others. */
  private static final class CompositeListener implements SubscriptionListener {
    private final List<SubscriptionListener> ls;

    CompositeListener(List<SubscriptionListener> ls) {
      this.ls = List.copyOf(ls);
    }

    private void each(java.util.function.Consumer<SubscriptionListener> c) {
      for (SubscriptionListener l : ls) {
        try {
          c.accept(l);
        } catch (RuntimeException e) {
          log.warn("a SubscriptionListener threw; ignored", e);
        }
      }
    }

    @Override
    public void started(String id) {
      each(l -> l.started(id));
    }

    @Override
    public void stopped(String id, String reason) {
      each(l -> l.stopped(id, reason));
    }

    @Override
    public void batchStarted(String id, String batchId, int size) {
      each(l -> l.batchStarted(id, batchId, size));
    }

    @Override
    public void batchDelivered(String id, String batchId, int size, DeliveryResult r) {
      each(l -> l.batchDelivered(id, batchId, size, r));
    }

    @Override
    public void batchFailed(String id, String batchId, int attempt, DeliveryResult r, long retryInMillis) {
      each(l -> l.batchFailed(id, batchId, attempt, r, retryInMillis));
    }

    @Override
    public void batchAbandoned(String id, String batchId, String reason) {
      each(l -> l.batchAbandoned(id, batchId, reason));
    }

    @Override
    public void batchDeadLettered(String id, String batchId, int messages, String reason) {
      each(l -> l.batchDeadLettered(id, batchId, messages, reason));
    }

    @Override
    public void healthChanged(String id, Health from, Health to) {
      each(l -> l.healthChanged(id, from, to));
    }
  }
}
