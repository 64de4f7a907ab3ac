package io.webhookd.internal;

import io.webhookd.ActivityEvent;
import io.webhookd.Assignment;
import io.webhookd.EngineInfo;
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
      Retention deadLetterRetention,
      Scaling scaling) {

    public Config {
      kafka = Map.copyOf(kafka);
      destinations = Map.copyOf(destinations);
      listeners = List.copyOf(listeners);
    }

    /** Without spans (unless {@code GlobalOpenTelemetry} is set), with dead letters kept as {@link Retention#DEFAULT} says, and the default {@link Scaling}. */
    public Config(
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
        Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerFactory) {
      this(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          consumerFactory, null, Retention.DEFAULT, Scaling.defaults());
    }

    /** With the default {@link Scaling}. */
    public Config(
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
      this(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          consumerFactory, openTelemetry, deadLetterRetention, Scaling.defaults());
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
          KafkaConsumer::new, null, Retention.DEFAULT, Scaling.defaults());
    }

    /** The same, with consumers made by {@code factory} from their properties (tests wrap real consumers). */
    public Config withConsumerFactory(Function<Map<String, Object>, Consumer<byte[], byte[]>> factory) {
      return new Config(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          factory, openTelemetry, deadLetterRetention, scaling);
    }

    /** The same, with {@code scaling}. */
    public Config withScaling(Scaling scaling) {
      return new Config(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          consumerFactory, openTelemetry, deadLetterRetention, scaling);
    }

    /** The same, with spans through {@code openTelemetry} (an {@code io.opentelemetry.api.OpenTelemetry}). */
    public Config withOpenTelemetry(Object openTelemetry) {
      return new Config(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          consumerFactory, openTelemetry, deadLetterRetention, scaling);
    }

    /** The same, with dead letters kept as {@code retention} says. */
    public Config withDeadLetterRetention(Retention retention) {
      return new Config(kafka, destinations, store, listeners, alertChannel, meterRegistry, rowFilterPolicy, requestTimeout,
          shutdownTimeout, storePollInterval, alertMinInterval, alertReminderInterval, activityLimit, batchers, retriers,
          consumerFactory, openTelemetry, retention, scaling);
    }
  }

  /** How long dead letters are kept, and how many per subscription at most. */
  public record Retention(Duration maxAge, int maxPerSubscription) {
    /** 14 days, 100,000 per subscription. */
    public static final Retention DEFAULT = new Retention(Duration.ofDays(14), 100_000);
  }

  /**
   * How engines sharing a store divide the subscriptions.
   *
   * @param assignment {@link Assignment#SLOTS} or {@link Assignment#GROUPS}; null: slots when the
   *     store is shared, groups when not
   * @param engineId this engine's id, unique among the engines of a store
   * @param coordinationGroup the Kafka group of the engines ({@code SLOTS})
   * @param slotsTopic the topic whose partitions are the slots, created when absent ({@code SLOTS})
   * @param slots how many partitions a new slots topic gets
   * @param heartbeat how often the engine writes its {@link EngineInfo} to the store
   * @param idleAfter how long a subscription must have been caught up before it gives up its own
   *     consumer for its topic's shared reader; null: never (each keeps its own consumer)
   */
  public record Scaling(
      @Nullable Assignment assignment,
      String engineId,
      String coordinationGroup,
      String slotsTopic,
      int slots,
      Duration heartbeat,
      @Nullable Duration idleAfter) {
    public static final String DEFAULT_GROUP = "webhookd-engines";
    public static final String DEFAULT_TOPIC = "webhookd.slots";
    public static final int DEFAULT_SLOTS = 64;

    public Scaling {
      java.util.Objects.requireNonNull(engineId, "engineId");
      java.util.Objects.requireNonNull(coordinationGroup, "coordinationGroup");
      java.util.Objects.requireNonNull(slotsTopic, "slotsTopic");
      java.util.Objects.requireNonNull(heartbeat, "heartbeat");
    }

    /** Without shared reading of idle subscriptions. */
    public Scaling(@Nullable Assignment assignment, String engineId, String coordinationGroup, String slotsTopic, int slots, Duration heartbeat) {
      this(assignment, engineId, coordinationGroup, slotsTopic, slots, heartbeat, null);
    }

    public Scaling withIdleAfter(@Nullable Duration after) {
      return new Scaling(assignment, engineId, coordinationGroup, slotsTopic, slots, heartbeat, after);
    }

    /** Assignment by the store, a new engine id, the default group, topic and 64 slots, a heartbeat every 5 s. */
    public static Scaling defaults() {
      return new Scaling(null, newEngineId(), DEFAULT_GROUP, DEFAULT_TOPIC, DEFAULT_SLOTS, Duration.ofSeconds(5));
    }

    public Scaling withAssignment(@Nullable Assignment a) {
      return new Scaling(a, engineId, coordinationGroup, slotsTopic, slots, heartbeat, idleAfter);
    }

    /** The host name and 8 random hex digits: {@code web-3-5f2a9c01}. */
    public static String newEngineId() {
      String host = hostName().replaceAll("[^A-Za-z0-9._-]", "-");
      if (host.length() > 40) {
        host = host.substring(0, 40);
      }
      return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
  }

  static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
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
  /** Every subscription as this engine last read it (its own changes, and the store's). Guarded by the lock. */
  private final Map<String, Subscription> known = new HashMap<>();
  private final Map<String, Fences> fences = new ConcurrentHashMap<>();
  /** Why a subscription this engine should run cannot run, by id. */
  private final Map<String, String> problems = new ConcurrentHashMap<>();
  /** Replay holds by subscription id: this engine's own, and those other engines asked for through the store. */
  private final Map<String, Set<String>> holds = new ConcurrentHashMap<>();
  private volatile Set<String> remoteHolds = Set.of();
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
  private final String engineId;
  private final String host;
  private final Assignment assignment;
  private final Instant startedAt = Instant.now();
  /** The coordination group's last table ({@code SLOTS}); null before the first assignment. */
  private volatile @Nullable SlotTable table;
  /** Where each active subscription runs ({@code SLOTS}), from the table and {@link #known}. */
  private volatile Map<String, List<String>> placement = Map.of();
  private volatile @Nullable EngineCoordinator coordinator;
  /** Subscriptions read by their topic's shared reader instead of their own consumer, by id. */
  private final Map<String, Parked> parked = new ConcurrentHashMap<>();
  /** The shared reader of each topic; guarded by the lock. */
  private final Map<String, SharedReader> readers = new HashMap<>();
  /** Since when (nanoTime) each runner has been caught up; touched by the idle thread only. */
  private final Map<String, Long> caughtUpSince = new HashMap<>();
  private final java.util.concurrent.atomic.AtomicLong parkings = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong wakings = new java.util.concurrent.atomic.AtomicLong();
  private volatile java.util.concurrent.@Nullable ScheduledExecutorService idle;
  private volatile org.apache.kafka.clients.admin.@Nullable Admin kafkaAdmin;
  private static final int COMMIT_ADMINS = 8;
  private final java.util.concurrent.atomic.AtomicReferenceArray<org.apache.kafka.clients.admin.Admin> kafkaCommitAdmins =
      new java.util.concurrent.atomic.AtomicReferenceArray<>(COMMIT_ADMINS);

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
    this.engineId = config.scaling().engineId();
    this.host = hostName();
    Assignment a = config.scaling().assignment();
    this.assignment = a != null ? a : store.isShared() ? Assignment.SLOTS : Assignment.GROUPS;
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
      List<Subscription> start = new ArrayList<>();
      for (Subscription s : store.list()) {
        known.put(s.id(), s);
        // SLOTS: nothing runs before the first table says where
        if (s.spec().active() && admin.online() && assignment == Assignment.GROUPS) {
          start.add(s);
        }
      }
      startRunners(start, null);
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
    heartbeat();
    long beat = config.scaling().heartbeat().toMillis();
    reporter.executor().scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
    Duration idleAfter = config.scaling().idleAfter();
    if (idleAfter != null) {
      java.util.concurrent.ScheduledExecutorService ex = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "webhookd-idle");
        t.setDaemon(true);
        return t;
      });
      idle = ex;
      ex.scheduleWithFixedDelay(this::checkIdle, 1, 1, TimeUnit.SECONDS);
    }
    if (assignment == Assignment.SLOTS) {
      Scaling sc = config.scaling();
      coordinator = new EngineCoordinator(config.kafka(), engineId, sc.coordinationGroup(), sc.slotsTopic(), sc.slots(), this::slotsAssigned);
      coordinator.start();
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

  // ------------------------------------------------------------------ engines

  /** Writes this engine's entry in the store's registry, and removes entries not seen for an hour. */
  private void heartbeat() {
    if (closed) {
      return;
    }
    Instant now = Instant.now();
    try {
      store.saveEngine(new EngineInfo(engineId, host, startedAt, now, runners.size() + parked.size()));
      if (now.getEpochSecond() / 60 != now.minus(config.scaling().heartbeat()).getEpochSecond() / 60) {
        List<String> gone = new ArrayList<>();
        for (EngineInfo e : store.engines(Instant.EPOCH)) {
          if (e.lastSeen().isBefore(now.minus(STALE_ENGINE_RETENTION))) {
            gone.add(e.id());
          }
        }
        if (!gone.isEmpty()) {
          store.removeEngines(gone);
        }
      }
    } catch (RuntimeException e) {
      log.warn("cannot write engine {} to the store ({}); will try again", engineId, e.toString());
    }
  }

  /** How long after its last heartbeat an engine is still listed. */
  static final Duration LIVE_ENGINE_WINDOW = Duration.ofSeconds(20);

  private static final Duration STALE_ENGINE_RETENTION = Duration.ofHours(1);

  public String engineId() {
    return engineId;
  }

  public Assignment assignment() {
    return assignment;
  }

  /** The engines that wrote their entry lately (within {@link #LIVE_ENGINE_WINDOW}), by id. */
  public List<EngineInfo> engines() {
    List<EngineInfo> live = new ArrayList<>(store.engines(Instant.now().minus(LIVE_ENGINE_WINDOW)));
    live.sort(java.util.Comparator.comparing(EngineInfo::id));
    return live;
  }

  /** The ids of the engines where a subscription runs (or is meant to run) now. */
  private List<String> enginesOf(Subscription s) {
    if (!s.spec().active() || !admin.online()) {
      return List.of();
    }
    if (assignment == Assignment.SLOTS) {
      List<String> placed = new ArrayList<>(placement.getOrDefault(s.id(), List.of()));
      placed.sort(null);
      return placed;
    }
    if (!store.isShared()) {
      return isRunning(s.id()) ? List.of(engineId) : List.of();
    }
    try {
      return engines().stream().map(EngineInfo::id).toList();
    } catch (RuntimeException e) {
      return isRunning(s.id()) ? List.of(engineId) : List.of();
    }
  }

  /** A new table from the coordination group: runs what it places here, stops what moved away. */
  private void slotsAssigned(SlotTable t) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      table = t;
      log.info("engine {} owns {} of {} slots; engines: {}", engineId, t.slotsOf(engineId).size(), t.slots(), t.engines());
      reconcile();
    }
  }

  /** Whether this engine should run {@code s} now. Caller holds the lock. */
  private boolean shouldRun(Subscription s) {
    return !closed
        && s.spec().active()
        && admin.online()
        && (assignment == Assignment.GROUPS || placement.getOrDefault(s.id(), List.of()).contains(engineId));
  }

  /** Places the active subscriptions over the table's engines ({@code SLOTS}). Caller holds the lock. */
  private void place() {
    SlotTable t = table;
    if (assignment != Assignment.SLOTS || t == null) {
      return;
    }
    List<Placement.Item> items = new ArrayList<>();
    for (Subscription s : known.values()) {
      if (s.spec().active()) {
        items.add(new Placement.Item(s.id(), s.spec().delivery().parallelism()));
      }
    }
    placement = Placement.place(t, items);
  }

  /**
   * Makes the runners match what should run here: places again, stops (all at once) the runners
   * of subscriptions placed elsewhere, starts those placed here. Caller holds the lock.
   */
  private void reconcile() {
    place();
    List<String> away = new ArrayList<>();
    Set<String> here = new HashSet<>(runners.keySet());
    here.addAll(parked.keySet());
    for (String id : here) {
      Subscription s = known.get(id);
      if (s == null || !shouldRun(s)) {
        away.add(id);
      }
    }
    if (!away.isEmpty()) {
      log.info("engine {}: {} subscriptions run elsewhere now", engineId, away.size());
      stopRunners(away, null);
    }
    List<Subscription> start = new ArrayList<>();
    for (Subscription s : known.values()) {
      if (shouldRun(s) && !isRunning(s.id()) && !problems.containsKey(s.id())) {
        start.add(s);
      }
    }
    if (!start.isEmpty()) {
      long t0 = System.nanoTime();
      startRunners(start, null);
      log.info("engine {}: started {} subscriptions in {} ms; it runs {}",
          engineId, start.size(), (System.nanoTime() - t0) / 1_000_000, runners.size() + parked.size());
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
      known.put(s.id(), s);
      if (spec.active() && admin.online()) {
        place();
        if (shouldRun(s)) {
          startRunner(s, "subscription registered");
        } else {
          reporter.activity(s.id(), ActivityEvent.stateChange(now, ActivityEvent.Type.ACTIVE, "subscription registered"));
        }
        if (assignment == Assignment.SLOTS) {
          reconcile();
        }
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
      known.put(id, updated);
      apply(updated, current);
      return updated;
    }
  }

  public boolean unsubscribe(String id) {
    checkOpen();
    synchronized (lock) {
      stopRunner(id, null);
      known.remove(id);
      fences.remove(id);
      boolean existed = store.delete(id);
      reporter.forget(id);
      if (assignment == Assignment.SLOTS) {
        reconcile();
      }
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
            Instant.now(), shown, h, lag, sorted, problem, enginesOf(s)));
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
    return runners.containsKey(id) || parked.containsKey(id) || moving.contains(id);
  }

  /** Whether the subscription is read by its topic's shared reader now (it had caught up). */
  public boolean isParked(String id) {
    return parked.containsKey(id);
  }

  /**
   * How many times subscriptions went to a shared reader, were woken by it (their runner then reads
   * what the reader hands it), and fell behind it onto a consumer of their own.
   */
  public long[] parkingsAndWakings() {
    return new long[] {parkings.get(), wakings.get(), detachments.get()};
  }

  /**
   * For webhookd's own recovery tests, not reachable through {@code Webhookd}: stops as a process
   * that died would: consumers stop at once without committing anything more
   * or leaving their groups (they time out of them), open requests are cut off (the transport is
   * closed), nothing else is written. For recovery tests.
   */
  public void abandonForTesting() {
    closed = true;
    EngineCoordinator c;
    synchronized (lock) {
      c = coordinator;
    }
    if (c != null) {
      c.abandon();
    }
    stopSharedReading(false);
    for (SubscriptionRunner r : runners.values()) {
      r.requestStop(SubscriptionRunner.StopMode.ABANDON);
    }
    for (SubscriptionRunner r : runners.values()) {
      await(r);
    }
    runners.clear();
    closeAdmins();
    reporter.executor().shutdownNow();
    destinations.distinct().forEach(Engine::closeQuietly);
  }

  @Override
  public void close() {
    if (closed && runners.isEmpty()) {
      return;
    }
    closed = true;
    // leave the coordination group first, so the other engines take this one's subscriptions at once
    EngineCoordinator c;
    synchronized (lock) {
      c = coordinator;
    }
    if (c != null) {
      c.close();
    }
    stopSharedReading(true);
    List<SubscriptionRunner> all = new ArrayList<>(runners.values());
    for (SubscriptionRunner r : all) {
      r.requestStop(SubscriptionRunner.StopMode.GRACEFUL);
    }
    for (SubscriptionRunner r : all) {
      await(r);
    }
    runners.clear();
    closeAdmins();
    background.shutdownNow();
    try {
      store.removeEngines(List.of(engineId));
    } catch (RuntimeException e) {
      log.warn("cannot remove engine {} from the store: {}", engineId, e.toString());
    }
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
    boolean hadRunner = isRunning(updated.id());
    String reason = before == null ? "subscription registered" : "subscription updated";
    place();
    if (hadRunner) {
      stopRunner(updated.id(), active && admin.online() ? null : "subscription deactivated");
    } else if (wasActive && !active) {
      reporter.activity(updated.id(), ActivityEvent.stateChange(Instant.now(), ActivityEvent.Type.INACTIVE, "subscription deactivated"));
    }
    if (shouldRun(updated)) {
      startRunner(updated, hadRunner && wasActive ? null : reason);
    } else if (active && admin.online() && !closed && !wasActive) {
      reporter.activity(updated.id(), ActivityEvent.stateChange(Instant.now(), ActivityEvent.Type.ACTIVE, reason));
    }
    if (assignment == Assignment.SLOTS) {
      reconcile();
    }
  }

  private void applyAdmin(OnlineState state) {
    boolean changed = state.online() != admin.online();
    admin = state;
    if (!changed) {
      return;
    }
    if (!state.online()) {
      List<String> all = new ArrayList<>(runners.keySet());
      all.addAll(parked.keySet());
      stopRunners(all,
          "webhooks taken offline" + (state.offlineMessage().isEmpty() ? "" : ": " + state.offlineMessage()));
    } else if (!closed) {
      for (Subscription s : store.list()) {
        known.put(s.id(), s);
      }
      place();
      List<Subscription> start = new ArrayList<>();
      for (Subscription s : known.values()) {
        if (shouldRun(s) && !isRunning(s.id())) {
          start.add(s);
        }
      }
      startRunners(start, "webhooks brought online");
    }
  }

  private void startRunner(Subscription s, @Nullable String activeReason) {
    startRunners(List.of(s), activeReason);
  }

  /**
   * Starts the runners of several subscriptions (an engine taking over another's slots starts
   * hundreds at once, under the lock): their last health is read with one store call instead of a
   * round trip each, and each runner only gets its thread started (its consumer is made and joins
   * its group on that thread), so nothing here waits for one runner before the next. Subscriptions
   * held by a replay are left out; they start when the hold is released. Caller holds the lock.
   */
  private void startRunners(List<Subscription> subs, @Nullable String activeReason) {
    startRunners(subs, activeReason, true);
  }

  /**
   * {@code mayStartParked}: with shared reading on, a subscription that may be shared starts on its
   * topic's shared reader from its committed offsets instead of its own consumer (see {@link
   * #startParked}); false for one woken by its reader, which needs its own consumer.
   */
  private void startRunners(List<Subscription> subs, @Nullable String activeReason, boolean mayStartParked) {
    List<Subscription> startable = subs.stream().filter(s -> !held(s.id())).toList();
    if (startable.isEmpty()) {
      return;
    }
    Map<String, HealthDetails> last = lastHealth(startable);
    Set<String> parkedNow = Set.of();
    if (mayStartParked && config.scaling().idleAfter() != null) {
      List<Subscription> parkable = startable.stream().filter(this::mayPark).toList();
      if (!parkable.isEmpty()) {
        parkedNow = startParked(parkable, activeReason, last);
      }
    }
    for (Subscription s : startable) {
      if (!parkedNow.contains(s.id())) {
        startRunner(s, activeReason, last.get(s.id()));
      }
    }
  }

  /**
   * Starts subscriptions on their topics' shared readers, from their committed offsets (where
   * there are none, from where their own consumer would start), without a consumer of their own:
   * what an engine of thousands of subscriptions needs, since making and joining thousands of
   * consumers at once would take minutes and two threads each. One that has records passing its
   * filters behind its committed offsets is woken by the reader at once, onto its own consumer.
   * The committed offsets of many are read with one request per {@link #PARK_BATCH}. Returns the
   * ids parked; those whose offsets could not be read start their own consumer. Caller holds the
   * lock.
   */
  private Set<String> startParked(List<Subscription> subs, @Nullable String activeReason, Map<String, HealthDetails> last) {
    Set<String> done = new HashSet<>();
    Instant now = Instant.now();
    for (int i = 0; i < subs.size() && !closed; i += START_PARKED_BATCH) {
      List<Subscription> batch = subs.subList(i, Math.min(subs.size(), i + START_PARKED_BATCH));
      Map<String, Map<org.apache.kafka.common.TopicPartition, Long>> positions;
      try {
        positions = committedPositions(batch);
      } catch (RuntimeException e) {
        // not onto consumers of their own: thousands of them would take the engine and the broker
        // minutes to make and join, and they would not read either while Kafka does not answer
        log.warn("{} subscriptions could not start on shared readers ({}); trying again in a second", batch.size(), e.toString());
        batch.forEach(s -> startLater.add(s.id()));
        batch.forEach(s -> done.add(s.id()));
        continue;
      }
      for (Subscription s : batch) {
        HealthDetails stored = last.get(s.id());
        // what a runner starting now would report: healthy (or still unhealthy) from now on, never inactive
        HealthDetails health = new HealthTracker(stored, now).snapshot();
        if (!health.equals(stored)) {
          reporter.health(s.id(), health);
        }
        if (activeReason != null) {
          reporter.activity(s.id(), ActivityEvent.stateChange(now, ActivityEvent.Type.ACTIVE, activeReason));
        }
        problems.remove(s.id());
        handToReader(s, positions.get(s.id()));
        done.add(s.id());
      }
    }
    if (!done.isEmpty()) {
      log.info("{} subscriptions started on their topics' shared readers", done.size());
    }
    return done;
  }

  /**
   * The health each subscription had last: what the reporter has not written yet, else what the
   * store holds (one call for all of them); absent when neither has any, or the store failed.
   */
  private Map<String, HealthDetails> lastHealth(List<Subscription> subs) {
    Map<String, HealthDetails> last = new HashMap<>();
    List<String> unwritten = new ArrayList<>();
    for (Subscription s : subs) {
      HealthDetails pending = reporter.pendingHealth(s.id());
      if (pending != null) {
        last.put(s.id(), pending);
      } else {
        unwritten.add(s.id());
      }
    }
    if (!unwritten.isEmpty()) {
      try {
        store.health(unwritten).forEach(last::putIfAbsent);
      } catch (RuntimeException e) {
        log.warn("cannot read the health of {} subscriptions from the store ({}); they start from a fresh health", unwritten.size(), e.toString());
      }
    }
    return last;
  }

  private void startRunner(Subscription s, @Nullable String activeReason, @Nullable HealthDetails stored) {
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
    FedConsumer f = feeds.remove(s.id());
    if (f != null) {
      if (f.detached()) {
        f.close();
      } else {
        r.readFrom(f);
      }
    }
    runners.put(s.id(), r);
    if (activeReason != null) {
      r.recordState(ActivityEvent.Type.ACTIVE, activeReason);
    }
    reporter.health(s.id(), r.health.snapshot());
    r.start();
  }

  /** Stops several runners at once: each is asked to stop, then each is awaited. */
  private void stopRunners(List<String> ids, @Nullable String inactiveReason) {
    List<SubscriptionRunner> stopping = new ArrayList<>();
    List<Parked> unparking = new ArrayList<>();
    for (String id : ids) {
      Parked p = parked.remove(id);
      if (p != null) {
        unparking.add(p);
      }
    }
    unparkAll(unparking, inactiveReason);
    for (String id : ids) {
      dropFeed(id);
      problems.remove(id);
      SubscriptionRunner r = runners.remove(id);
      if (r != null) {
        r.requestStop(SubscriptionRunner.StopMode.GRACEFUL);
        stopping.add(r);
      }
    }
    for (SubscriptionRunner r : stopping) {
      await(r);
      if (inactiveReason != null) {
        r.recordState(ActivityEvent.Type.INACTIVE, inactiveReason);
      }
    }
  }

  private void stopRunner(String id, @Nullable String inactiveReason) {
    Parked p = parked.remove(id);
    if (p != null) {
      unpark(p, inactiveReason);
    }
    dropFeed(id);
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
        List<Subscription> changed = new ArrayList<>();
        for (Subscription s : all) {
          seen.add(s.id());
          Subscription before = known.get(s.id());
          if (before == null || before.version() != s.version()) {
            known.put(s.id(), s);
            changed.add(s);
          }
        }
        List<String> removed = new ArrayList<>();
        for (String id : new ArrayList<>(known.keySet())) {
          if (!seen.contains(id)) {
            known.remove(id);
            removed.add(id);
          }
        }
        stopRunners(removed, null);
        removed.forEach(reporter::forget);
        place();
        // a changed subscription's runner restarts with the new version
        List<String> restart = new ArrayList<>();
        for (Subscription s : changed) {
          SubscriptionRunner r = runners.get(s.id());
          Parked p = parked.get(s.id());
          if ((r != null && r.subscription().version() != s.version()) || (p != null && p.subscription.version() != s.version())) {
            restart.add(s.id());
          } else if (r == null && p == null) {
            problems.remove(s.id());
          }
        }
        stopRunners(restart, null);
        if (assignment == Assignment.SLOTS) {
          reconcile();
        } else {
          startRunners(changed.stream().filter(s -> shouldRun(s) && !isRunning(s.id())).toList(), null);
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
        if (!before.contains(id) && isRunning(id)) {
          stopRunner(id, "replay: stopped so that the group's offsets can move");
        }
      }
      for (String id : before) {
        if (!held.contains(id) && !held(id) && !closed) {
          store.get(id).filter(s -> shouldRun(s) && !isRunning(id))
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
        store.get(id).filter(s -> shouldRun(s) && !isRunning(id))
            .ifPresent(s -> startRunner(s, "replay done: delivering from the new positions"));
      }
    }
  }

  // ------------------------------------------------------------------ shared reading of idle subscriptions

  /**
   * Whether a subscription may give up its own consumer when it has caught up: one topic, and this
   * engine its only reader (a shared reader has no group membership, so a subscription that other
   * engines read too, in {@code GROUPS} mode or with a parallelism above 1, keeps its consumer).
   */
  private boolean mayPark(Subscription s) {
    return config.scaling().idleAfter() != null
        && s.spec().sources().size() == 1
        && (assignment == Assignment.SLOTS ? s.spec().delivery().parallelism() == 1 : !store.isShared());
  }

  /** Every second on the idle thread: parks the runners caught up (lag 0) for the configured time. */
  private void checkIdle() {
    Duration after = config.scaling().idleAfter();
    if (closed || after == null) {
      return;
    }
    if (!startLater.isEmpty()) {
      synchronized (lock) {
        List<Subscription> again = new ArrayList<>();
        for (String id : List.copyOf(startLater)) {
          startLater.remove(id);
          Subscription s = known.get(id);
          if (s != null && shouldRun(s) && !isRunning(id)) {
            again.add(s);
          }
        }
        startRunners(again, null);
      }
    }
    try {
      long now = System.nanoTime();
      caughtUpSince.keySet().removeIf(id -> !runners.containsKey(id));
      List<SubscriptionRunner> ready = new ArrayList<>();
      for (SubscriptionRunner r : new ArrayList<>(runners.values())) {
        String id = r.subscription().id();
        if (!mayPark(r.subscription()) || r.lag() != 0) {
          caughtUpSince.remove(id);
          continue;
        }
        Long since = caughtUpSince.putIfAbsent(id, now);
        if (since != null && now - since >= after.toNanos()) {
          caughtUpSince.remove(id);
          ready.add(r);
        }
      }
      // in batches: their consumers stop together, and the offsets of a batch take one request
      for (int i = 0; i < ready.size() && !closed; i += PARK_BATCH) {
        park(ready.subList(i, Math.min(ready.size(), i + PARK_BATCH)));
      }
    } catch (RuntimeException e) {
      log.warn("checking for idle subscriptions: {}", e.toString());
    }
  }

  /** The Admin client of shared reading: committed offsets, parked positions. */
  private org.apache.kafka.clients.admin.Admin admin() {
    org.apache.kafka.clients.admin.Admin a = kafkaAdmin;
    if (a == null) {
      synchronized (this) {
        a = kafkaAdmin;
        if (a == null) {
          a = newAdmin("webhookd-admin-" + engineId);
          kafkaAdmin = a;
        }
      }
    }
    return a;
  }

  /**
   * The Admin client a woken subscription's runner commits with: one of {@link #COMMIT_ADMINS} of
   * their own, by group, so that their commits never queue the engine's other calls (reading
   * committed offsets when subscriptions move here) behind them. Several, because a broker answers
   * the requests of one connection one after another: through one client, 1,000 busy subscriptions
   * committing every few seconds fell behind by tens of seconds.
   */
  private org.apache.kafka.clients.admin.Admin commitAdmin(String group) {
    int i = Math.floorMod(group.hashCode(), COMMIT_ADMINS);
    org.apache.kafka.clients.admin.Admin a = kafkaCommitAdmins.get(i);
    if (a == null) {
      synchronized (this) {
        a = kafkaCommitAdmins.get(i);
        if (a == null) {
          a = newAdmin("webhookd-commits-" + i + "-" + engineId);
          kafkaCommitAdmins.set(i, a);
        }
      }
    }
    return a;
  }

  private org.apache.kafka.clients.admin.Admin newAdmin(String clientId) {
    Map<String, Object> props = new HashMap<>();
    Set<String> names = org.apache.kafka.clients.admin.AdminClientConfig.configNames();
    config.kafka().forEach((k, v) -> {
      if (names.contains(k)) {
        props.put(k, v);
      }
    });
    props.put(org.apache.kafka.clients.admin.AdminClientConfig.CLIENT_ID_CONFIG, clientId);
    return org.apache.kafka.clients.admin.Admin.create(props);
  }

  /** Closes the Admin clients, once the runners that commit with them stopped. */
  private void closeAdmins() {
    List<org.apache.kafka.clients.admin.@Nullable Admin> all = new ArrayList<>();
    for (int i = 0; i < COMMIT_ADMINS; i++) {
      all.add(kafkaCommitAdmins.get(i));
    }
    all.add(kafkaAdmin);
    for (org.apache.kafka.clients.admin.Admin a : all) {
      if (a != null) {
        try {
          a.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
          log.debug("closing an Admin client: {}", e.toString());
        }
      }
    }
  }

  private static final int PARK_BATCH = 100;
  /** Subscriptions going from their runner to the shared reader or back: running all along. */
  private final Set<String> moving = ConcurrentHashMap.newKeySet();
  /** Subscriptions to start on shared readers again: reading their committed offsets failed. */
  private final Set<String> startLater = ConcurrentHashMap.newKeySet();
  /** Subscriptions whose committed offsets one request reads when they start on shared readers. */
  private static final int START_PARKED_BATCH = 500;

  /**
   * Stops caught-up runners (a clean stop commits what was delivered) and hands the subscriptions
   * to their topics' shared readers from their committed offsets (where there are none, from where
   * their own consumer would start: {@code auto.offset.reset}, earliest by default).
   */
  private void park(List<SubscriptionRunner> batch) {
    synchronized (lock) {
      List<Subscription> subs = new ArrayList<>();
      for (SubscriptionRunner r : batch) {
        if (!closed && runners.get(r.subscription().id()) == r) {
          subs.add(r.subscription());
        }
      }
      if (subs.isEmpty()) {
        return;
      }
      List<String> ids = subs.stream().map(Subscription::id).toList();
      moving.addAll(ids);
      try {
        parkStopped(subs);
      } finally {
        ids.forEach(moving::remove);
      }
    }
  }

  /** Parks subscriptions whose runners are to stop now. Caller holds the lock. */
  private void parkStopped(List<Subscription> subs) {
    stopRunners(subs.stream().map(Subscription::id).toList(), null);
    Map<String, Map<org.apache.kafka.common.TopicPartition, Long>> positions;
    try {
      positions = committedPositions(subs);
    } catch (RuntimeException e) {
      log.warn("{} caught-up subscriptions could not go to shared readers ({}); they start again", subs.size(), e.toString());
      startRunners(subs.stream().filter(this::shouldRun).toList(), null);
      return;
    }
    for (Subscription s : subs) {
      handToReader(s, positions.get(s.id()));
    }
  }

  /** Parks a subscription that has no runner on its topic's shared reader, from these positions. Caller holds the lock. */
  private void handToReader(Subscription s, Map<org.apache.kafka.common.TopicPartition, Long> positions) {
    String topic = s.spec().sources().get(0).topic();
    List<String> exprs = new ArrayList<>(s.spec().sources().get(0).jmesFilters());
    exprs.addAll(rowFilters(s, topic));
    Parked p = new Parked(s, RecordFilter.of(exprs), positions);
    parked.put(s.id(), p);
    readers.computeIfAbsent(topic, this::newReader).park(p);
    parkings.incrementAndGet();
    log.debug("subscription {} read by the shared reader of {} from {}", s.id(), topic, p.positions());
  }

  @Nullable SubscriptionRunner runner(String id) {
    return runners.get(id);
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

  /** Each subscription's committed offsets in its topic, or where its own consumer would start where it has none; by id. */
  private Map<String, Map<org.apache.kafka.common.TopicPartition, Long>> committedPositions(List<Subscription> subs) {
    try {
      org.apache.kafka.clients.admin.Admin a = admin();
      Map<String, org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
      Set<String> topics = new HashSet<>();
      for (Subscription s : subs) {
        specs.put(s.groupId(), new org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec());
        topics.add(s.spec().sources().get(0).topic());
      }
      Map<String, Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata>> committed =
          a.listConsumerGroupOffsets(specs).all().get(30, TimeUnit.SECONDS);
      Map<String, List<org.apache.kafka.common.TopicPartition>> partitionsOf = new HashMap<>();
      for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<org.apache.kafka.clients.admin.TopicDescription>> e :
          a.describeTopics(topics).topicNameValues().entrySet()) {
        List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
        try {
          e.getValue().get(30, TimeUnit.SECONDS).partitions()
              .forEach(pi -> tps.add(new org.apache.kafka.common.TopicPartition(e.getKey(), pi.partition())));
        } catch (java.util.concurrent.ExecutionException missingTopic) {
          if (!(missingTopic.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
            throw missingTopic;
          }
          // a topic that does not exist yet: its subscriptions wait on the reader, which reads its partitions from their start once they appear
        }
        partitionsOf.put(e.getKey(), tps);
      }
      boolean latest = "latest".equals(String.valueOf(config.kafka().getOrDefault("auto.offset.reset", "earliest")).trim());
      Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> missing = new HashMap<>();
      for (Subscription s : subs) {
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> c =
            committed.getOrDefault(s.groupId(), Map.of());
        for (org.apache.kafka.common.TopicPartition tp : partitionsOf.get(s.spec().sources().get(0).topic())) {
          if (c.get(tp) == null) {
            missing.put(tp, latest ? org.apache.kafka.clients.admin.OffsetSpec.latest() : org.apache.kafka.clients.admin.OffsetSpec.earliest());
          }
        }
      }
      Map<org.apache.kafka.common.TopicPartition, Long> reset = new HashMap<>();
      if (!missing.isEmpty()) {
        a.listOffsets(missing).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> reset.put(tp, info.offset()));
      }
      Map<String, Map<org.apache.kafka.common.TopicPartition, Long>> positions = new HashMap<>();
      for (Subscription s : subs) {
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> c =
            committed.getOrDefault(s.groupId(), Map.of());
        Map<org.apache.kafka.common.TopicPartition, Long> mine = new HashMap<>();
        for (org.apache.kafka.common.TopicPartition tp : partitionsOf.get(s.spec().sources().get(0).topic())) {
          org.apache.kafka.clients.consumer.OffsetAndMetadata o = c.get(tp);
          mine.put(tp, o != null ? o.offset() : reset.get(tp));
        }
        positions.put(s.id(), mine);
      }
      return positions;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new WebhookdException("cannot read the committed offsets of " + subs.size() + " subscriptions: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WebhookdException("interrupted", e);
    }
  }

  private SharedReader newReader(String topic) {
    Map<String, Object> props = new HashMap<>(config.kafka());
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "webhookd-shared-" + engineId + "-" + topic);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
    return new SharedReader(topic, config.consumerFactory().apply(props), Duration.ofSeconds(5), this::woken, this::progressed);
  }

  /**
   * On a reader's thread: a record passed a parked subscription's filters. Its runner starts at
   * that record on a {@link FedConsumer} the reader feeds (no consumer of its own to make and join
   * to a group); the runners of the subscriptions woken together start together, on the idle
   * thread.
   */
  private @Nullable FedConsumer woken(Parked p, Map<org.apache.kafka.common.TopicPartition, Long> positions,
      Map<org.apache.kafka.common.TopicPartition, Long> ends) {
    java.util.concurrent.ScheduledExecutorService ex = idle;
    if (ex == null || closed) {
      return null;
    }
    Subscription s = p.subscription;
    // twice what its runner buffers before it pauses: a runner that falls that far behind its topic gets its own consumer
    int queued = 2 * Math.max(20 * s.spec().batching().maxBatchSize(), 2000);
    FedConsumer[] self = new FedConsumer[1];
    FedConsumer f = new FedConsumer(positions, ends, offsets -> commitAdmin(s.groupId()).alterConsumerGroupOffsets(s.groupId(), offsets).all(),
        FED_COMMIT_EVERY, queued, FED_MAX_BYTES, () -> detached(p.id(), self[0]));
    self[0] = f;
    feeds.put(p.id(), f);
    toWake.add(p);
    if (wakeScheduled.compareAndSet(false, true)) {
      try {
        ex.execute(this::wakeAll);
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        return null;
      }
    }
    return f;
  }

  /**
   * How often a woken runner's commits go out (a runner on its own consumer commits every 100 ms),
   * Kafka's own default for automatic commits: a crash delivers up to that much again, and
   * thousands of busy subscriptions commit through one Admin client without it falling behind
   * (measured: at 1 s, 3,000 subscriptions receiving a message a second each kept the Admin
   * clients of three engines so busy that the commits trailed by about 28 s, all delivered again
   * after an engine was killed).
   */
  private static final Duration FED_COMMIT_EVERY = Duration.ofSeconds(5);

  /** What a fed consumer may hold for a runner that does not keep up before it detaches. */
  private static final long FED_MAX_BYTES = 8L << 20;
  /** Consumers made for woken subscriptions whose runners have not started yet, by id. */
  private final Map<String, FedConsumer> feeds = new ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentLinkedQueue<Parked> toWake = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicBoolean wakeScheduled = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicLong detachments = new java.util.concurrent.atomic.AtomicLong();

  /** On the idle thread: starts the runners of the subscriptions woken since the last call, together. */
  private void wakeAll() {
    wakeScheduled.set(false);
    List<Parked> batch = new ArrayList<>();
    Parked q;
    while ((q = toWake.poll()) != null) {
      batch.add(q);
    }
    if (batch.isEmpty()) {
      return;
    }
    synchronized (lock) {
      List<Subscription> start = new ArrayList<>();
      List<Parked> woken = new ArrayList<>();
      for (Parked p : batch) {
        if (closed || parked.get(p.id()) != p) {
          dropFeed(p.id());
          continue;
        }
        wakings.incrementAndGet();
        woken.add(p);
        Subscription s = known.getOrDefault(p.id(), p.subscription);
        if (shouldRun(s)) {
          start.add(s);
        } else {
          dropFeed(p.id());
        }
      }
      startRunners(start, null, false);
      // parked until its runner is there, so that it is never seen as not running in between
      woken.forEach(p -> parked.remove(p.id(), p));
      // those that did not start (held by a replay, or unable to run) leave their consumer unused
      start.forEach(s -> dropFeed(s.id()));
    }
  }

  private void dropFeed(String id) {
    FedConsumer f = feeds.remove(id);
    if (f != null) {
      f.close();
    }
  }

  /**
   * A fed consumer detached (its runner fell behind, or went back behind its position): on the idle
   * thread, the runner that reads it stops cleanly (what was delivered is committed) and starts
   * again on a consumer of its own, from the committed offsets.
   */
  private void detached(String id, FedConsumer f) {
    java.util.concurrent.ScheduledExecutorService ex = idle;
    if (ex == null || closed) {
      return;
    }
    try {
      ex.execute(() -> {
        synchronized (lock) {
          SubscriptionRunner r = runners.get(id);
          if (closed || r == null || r.given() != f) {
            return;
          }
          detachments.incrementAndGet();
          log.debug("subscription {} fell behind its topic's shared reader: it goes on with a consumer of its own", id);
          moving.add(id);
          try {
            stopRunner(id, null);
            Subscription s = known.getOrDefault(id, r.subscription());
            if (shouldRun(s)) {
              startRunners(List.of(s), null, false);
            }
          } finally {
            moving.remove(id);
          }
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // the engine is closing
    }
  }

  /** On a reader's thread: positions of parked subscriptions moved past filtered-out records; committed to their groups. */
  private void progressed(List<Parked> moved) {
    java.util.concurrent.ScheduledExecutorService ex = idle;
    if (ex == null || closed) {
      return;
    }
    for (Parked p : moved) {
      Map<org.apache.kafka.common.TopicPartition, Long> positions = Map.copyOf(p.positions());
      ex.execute(() -> commitPositions(p.subscription, positions, false));
    }
  }

  /**
   * Commits a parked subscription's positions to its group {@code webhooks-{id}} (Kafka refuses it
   * while the group has members: then its own consumer reads and commits). Everything before a
   * position was filtered out or already committed, so this never skips a message.
   */
  private void commitPositions(Subscription s, Map<org.apache.kafka.common.TopicPartition, Long> positions, boolean wait) {
    if (positions.isEmpty()) {
      return;
    }
    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets = new HashMap<>();
    positions.forEach((tp, o) -> offsets.put(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(o)));
    try {
      org.apache.kafka.common.KafkaFuture<Void> f = admin().alterConsumerGroupOffsets(s.groupId(), offsets).all();
      if (wait) {
        f.get(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      log.debug("could not commit the shared reader's positions of subscription {}: {}", s.id(), e.toString());
    }
  }

  /** Takes a parked subscription from its reader, committing its positions. Caller holds the lock. */
  private void unpark(Parked p, @Nullable String inactiveReason) {
    unparkAll(List.of(p), inactiveReason);
  }

  /**
   * Takes parked subscriptions from their readers and commits their positions: every reader is
   * asked first, then the commits go out together and are awaited together (an engine giving up a
   * third of 3,000 subscriptions when another joins does not wait for a round trip each). Caller
   * holds the lock.
   */
  private void unparkAll(List<Parked> ps, @Nullable String inactiveReason) {
    if (ps.isEmpty()) {
      return;
    }
    Map<Parked, java.util.concurrent.CompletableFuture<@Nullable Map<org.apache.kafka.common.TopicPartition, Long>>> asked = new HashMap<>();
    for (Parked p : ps) {
      SharedReader reader = readers.get(p.subscription.spec().sources().get(0).topic());
      if (reader != null) {
        asked.put(p, reader.unpark(p.id()));
      }
    }
    long asking = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<org.apache.kafka.common.KafkaFuture<Void>> commits = new ArrayList<>();
    asked.forEach((p, f) -> {
      try {
        Map<org.apache.kafka.common.TopicPartition, Long> positions = f.get(Math.max(0, asking - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (positions != null && !positions.isEmpty()) {
          Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets = new HashMap<>();
          positions.forEach((tp, o) -> offsets.put(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(o)));
          commits.add(admin().alterConsumerGroupOffsets(p.subscription.groupId(), offsets).all());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.warn("shared reader did not let subscription {} go: {}", p.id(), e.toString());
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    int failed = 0;
    for (org.apache.kafka.common.KafkaFuture<Void> c : commits) {
      try {
        c.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        // Kafka refuses it while the group has a member; the records it covers were filtered out, so they are only read again
        failed++;
      }
    }
    if (failed > 0) {
      log.debug("could not commit the shared reader's positions of {} subscriptions", failed);
    }
    if (inactiveReason != null) {
      Instant now = Instant.now();
      ps.forEach(p -> reporter.activity(p.id(), ActivityEvent.stateChange(now, ActivityEvent.Type.INACTIVE, inactiveReason)));
    }
  }

  /** Stops the idle thread and the shared readers; {@code commit}: their positions are committed (a clean close). */
  private void stopSharedReading(boolean commit) {
    java.util.concurrent.ScheduledExecutorService ex = idle;
    if (ex != null) {
      ex.shutdownNow();
      try {
        ex.awaitTermination(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<SharedReader> all;
    synchronized (lock) {
      all = new ArrayList<>(readers.values());
      readers.clear();
    }
    for (SharedReader r : all) {
      Map<String, Parked> left = r.stop();
      if (commit) {
        left.values().forEach(p -> commitPositions(p.subscription, Map.copyOf(p.positions()), true));
      }
    }
    parked.clear();
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
          known.put(id, updated);
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
        store.get(id).filter(this::shouldRun).ifPresent(s -> startRunner(s, "restarted after an error"));
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
