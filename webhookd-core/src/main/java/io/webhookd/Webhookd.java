package io.webhookd;

import static java.util.Objects.requireNonNull;

import io.webhookd.internal.Engine;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.Batcher;
import io.webhookd.spi.Retrier;
import io.webhookd.spi.RowFilterPolicy;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The webhookd engine: runs one Kafka consumer per active subscription and delivers what it reads
 * to the subscription's webhook, at least once. Make one with {@link #builder()}; close it to stop
 * every consumer gracefully.
 *
 * <p><b>Threads.</b> Each active subscription has one thread, named {@code webhookd-{name}}, that
 * owns its {@code KafkaConsumer}: it polls, filters, batches, starts HTTP requests (which run
 * asynchronously on the destination's threads), and commits. Other threads never touch the
 * consumer; they stop it with {@code KafkaConsumer.wakeup()} and wait for its thread. Health,
 * activity and alerts are written by one background thread so a slow store or mail server never
 * stalls delivery.
 *
 * <p>With {@link Assignment#SLOTS} (the default with a shared store) one more thread, {@code
 * webhookd-engines}, owns the consumer of the coordination group through which the engines
 * sharing the store divide the subscriptions; it starts and stops the subscriptions' runners as
 * slots move. See {@link Assignment}.
 *
 * <p><b>Thread safety.</b> Every method may be called from any thread. Changes (subscribe,
 * update, unsubscribe, online/offline) are written to the store before they take effect.
 *
 * <p><b>Guarantees.</b> An offset is committed only after every message before it in its
 * partition was delivered (2xx) or filtered out; a consumer that crashed commits nothing more. A
 * batch is never skipped: when retries are exhausted the subscription turns unhealthy and the
 * batch keeps being retried. Never two requests holding messages of one partition are open at
 * once: across restarts of a subscription on this engine, and across engines sharing its group
 * (a revoke waits for the open requests of the partitions it moves, up to the request timeout
 * plus 5 s), except where Kafka expels a member (its session or poll interval expired).
 */
public final class Webhookd implements AutoCloseable {
  private final Engine engine;

  private Webhookd(Engine engine) {
    this.engine = engine;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers a subscription and, when it is active and the engine online, starts delivering.
   *
   * @throws ValidationException when the destination refuses the URL (for example the SSRF
   *     guard)
   */
  public Subscription subscribe(SubscriptionSpec spec) {
    return engine.subscribe(spec, null);
  }

  /** Registers a subscription on behalf of {@code owner} (a client of the server). */
  public Subscription subscribe(SubscriptionSpec spec, @Nullable String owner) {
    return engine.subscribe(spec, owner);
  }

  /**
   * Replaces a subscription's spec if it is still at {@code expectedVersion}; its consumer
   * restarts in the same group, so committed offsets are kept.
   *
   * @throws ConflictException when someone else updated it first
   * @throws SubscriptionNotFoundException when there is no such subscription
   */
  public Subscription update(String id, SubscriptionSpec spec, long expectedVersion) {
    return engine.update(id, spec, expectedVersion);
  }

  /** Replaces a subscription's spec, whatever its version. */
  public Subscription update(String id, SubscriptionSpec spec) {
    return engine.update(id, spec, -1);
  }

  /** Stops and removes a subscription. False when there was none. */
  public boolean unsubscribe(String id) {
    return engine.unsubscribe(id);
  }

  public Optional<Subscription> get(String id) {
    return engine.get(id);
  }

  /** Every subscription, oldest first. */
  public List<Subscription> list() {
    return engine.list();
  }

  /**
   * A subscription's status (the REST API's {@code WebhookStatus} document): health, counters,
   * consumer lag, recent activity; empty when there is no such subscription.
   */
  public Optional<SubscriptionStatus> status(String id) {
    return engine.status(id);
  }

  /**
   * Takes every webhook offline (consumers stop, {@code inactive} is recorded) or brings them
   * online (consumers resume from their committed offsets).
   */
  public OnlineState setOnline(boolean online, @Nullable String message) {
    return engine.setOnline(online, message == null ? "" : message);
  }

  /** Whether webhooks are online, and each subscription's health (the REST API's {@code WebhookAdmin} document). */
  public AdminStatus adminStatus() {
    return engine.adminStatus();
  }

  /**
   * Whether this engine runs the subscription: true from the moment {@link #subscribe}, {@link
   * #update} or {@link Builder#build()} accepted it for running here (its consumer may still be
   * joining its group), through a restart after an error, until it is deactivated, taken offline,
   * unsubscribed, or the engine closes. False for a stored subscription this engine cannot run
   * (see {@link SubscriptionStatus#problem()}).
   */
  public boolean isRunning(String id) {
    return engine.isRunning(id);
  }

  // ---------------------------------------------------------------------------------------------
  // Day-2 operations. {@code who} names the caller in the activity record (a client id, an
  // operator); null for the library's own user.

  /**
   * A page of the subscription's dead letters, oldest first.
   *
   * @param after the {@link DeadLetter.Page#next()} cursor of the previous page, or {@code null}
   * @param limit 1 to 1000
   * @throws SubscriptionNotFoundException when there is no such subscription
   */
  public DeadLetter.Page deadLetters(String id, @Nullable String after, int limit) {
    return engine.deadLetters(id, after, limit);
  }

  /**
   * Sends dead letters to the webhook again, signed and batched by the subscription's batching,
   * in the background; each is removed once a request holding it got a 2xx, and stays otherwise.
   * Each request is recorded in {@code recent_activity}, and a {@code redelivered} event says how
   * many were accepted.
   *
   * @param ids the dead letters to send, or {@code null} for all of them
   * @return how many dead letters will be sent
   * @throws SubscriptionNotFoundException when there is no such subscription
   */
  public int redeliver(String id, @Nullable List<String> ids, @Nullable String who) {
    return engine.redeliver(id, ids, who);
  }

  /**
   * Discards one dead letter (recorded in {@code recent_activity}).
   *
   * @return false when the subscription has no such dead letter
   * @throws SubscriptionNotFoundException when there is no such subscription
   */
  public boolean discardDeadLetter(String id, String deadLetterId, @Nullable String who) {
    return engine.discardDeadLetter(id, deadLetterId, who);
  }

  /**
   * Moves a failing batch to the dead letters now, whatever {@code on_exhausted} says, and lets
   * delivery move on. The batch id is in the {@code api_call} entries of {@code recent_activity}.
   * Works on whichever engine sharing the store holds the batch.
   *
   * @throws NotFailingException when that batch is not failing now (delivered, unknown)
   * @throws SubscriptionNotFoundException when there is no such subscription
   */
  public void skip(String id, String batchId, @Nullable String who) {
    engine.skip(id, batchId, who);
  }

  /**
   * Moves the subscription's consumer group {@code webhooks-{id}} to other positions and
   * delivers from there. Every engine running the subscription stops it first (committing what
   * was delivered), so no engine commits an older position over the new one or keeps delivering
   * from its old position; then the group's offsets are set (Kafka's semantics: timestamps
   * through {@code offsetsForTimes}) and the subscription runs again. Filters apply as always.
   *
   * @return the positions the group was moved to, one per partition of the subscription's topics
   *     (fewer for {@link ReplayFrom#offsets} that name fewer)
   * @throws ValidationException when an offset names a topic the subscription does not read or a
   *     partition that does not exist
   * @throws SubscriptionNotFoundException when there is no such subscription
   * @throws WebhookdException when the engines did not let the group go in time
   */
  public List<Position> replay(String id, ReplayFrom from, @Nullable String who) {
    return engine.replay(id, from, who);
  }

  /**
   * Sends one signed batch holding one synthetic message (topic {@value TestDelivery#TOPIC})
   * to the webhook now, through the subscription's transport, SSRF guard and headers; nothing is
   * committed, the health does not change; recorded in {@code recent_activity} as a {@code test}.
   *
   * @throws SubscriptionNotFoundException when there is no such subscription
   */
  public TestDelivery sendTest(String id, @Nullable String who) {
    return engine.sendTest(id, who);
  }

  /**
   * Evaluates filters on the last records of each source's topic (at most {@code limit} per
   * topic, spread over its partitions), without a consumer group and committing nothing. The
   * owner's row filter ({@link spi.RowFilterPolicy}) is ANDed in, so a preview never shows what
   * the owner could not receive.
   *
   * @param limit 1 to 1000
   */
  public FilterPreview previewFilters(
      List<SubscriptionSpec.Source> sources, int limit, @Nullable String owner) {
    return engine.previewFilters(sources, limit, owner);
  }

  /** This engine's id: unique among the engines sharing a store; see {@link Builder#engineId(String)}. */
  public String engineId() {
    return engine.engineId();
  }

  /** How this engine shares the subscriptions with the other engines of its store. */
  public Assignment assignment() {
    return engine.assignment();
  }

  /**
   * The engines running on this engine's store: those that wrote their entry in the last 20 s
   * (each writes it every 5 s), sorted by id. Empty with a store that keeps no registry of
   * engines (see {@link SubscriptionStore#saveEngine}).
   */
  public List<EngineInfo> engines() {
    return engine.engines();
  }

  /**
   * Stops every consumer: in-flight batches are given until the shutdown timeout to finish; what
   * was delivered is committed, nothing undelivered is. Idempotent.
   */
  @Override
  public void close() {
    engine.close();
  }

  /** Configures an engine. Not thread-safe; {@link #build()} copies what it needs. */
  public static final class Builder {
    private final Map<String, Object> kafka = new HashMap<>();
    private final Map<String, WebhookDestination> destinations = new LinkedHashMap<>();
    private @Nullable SubscriptionStore store;
    private final List<SubscriptionListener> listeners = new ArrayList<>();
    private @Nullable AlertChannel alertChannel;
    private @Nullable Object meterRegistry;
    private @Nullable Object openTelemetry;
    private RowFilterPolicy rowFilterPolicy = RowFilterPolicy.NONE;
    private Batcher.Factory batchers = Batcher.Factory.FROM_SPEC;
    private Retrier.Factory retriers = Retrier.Factory.FROM_SPEC;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private Duration storePollInterval = Duration.ofSeconds(2);
    private Duration alertMinInterval = Duration.ofMinutes(5);
    private Duration alertReminderInterval = Duration.ofHours(1);
    private int activityLimit = 100;
    private Engine.Retention deadLetterRetention = Engine.Retention.DEFAULT;
    private @Nullable Assignment assignment;
    private @Nullable String engineId;
    private String coordinationGroup = Engine.Scaling.DEFAULT_GROUP;
    private String slotsTopic = Engine.Scaling.DEFAULT_TOPIC;
    private @Nullable Duration idleAfter;

    private Builder() {}

    /**
     * How engines sharing the store divide the subscriptions. Default: {@link Assignment#SLOTS}
     * when the store is shared ({@link SubscriptionStore#isShared()}), {@link Assignment#GROUPS}
     * when not. Every engine of a store must use the same.
     */
    public Builder assignment(Assignment assignment) {
      this.assignment = requireNonNull(assignment, "assignment");
      return this;
    }

    /**
     * This engine's id, shown by {@code GET /1/Engines} and in a status's {@code engines}; it must
     * be unique among the engines of a store. Default: the host name and 8 random hex digits, new
     * on each start.
     *
     * @throws ValidationException unless 1 to 100 letters, digits, {@code . _ -}
     */
    public Builder engineId(String id) {
      requireNonNull(id, "id");
      if (!id.matches("[A-Za-z0-9._-]{1,100}")) {
        throw invalid("engineId", "must be 1 to 100 letters, digits, '.', '_' or '-', was \"" + id + "\"");
      }
      this.engineId = id;
      return this;
    }

    /**
     * The Kafka consumer group the engines join to divide the slots ({@link Assignment#SLOTS});
     * default {@code webhookd-engines}. Separate webhookd installations on one Kafka cluster need
     * separate groups and slots topics.
     */
    public Builder coordinationGroup(String group) {
      requireNonNull(group, "group");
      if (group.isBlank()) {
        throw invalid("coordinationGroup", "must not be blank");
      }
      this.coordinationGroup = group;
      return this;
    }

    /**
     * Lets subscriptions that have caught up give up their own Kafka consumer: a subscription
     * whose consumer lag has been 0 for {@code idleAfter} is stopped cleanly (what was delivered
     * is committed) and its topic's one shared reader on this engine reads for it from its
     * committed offsets, testing its filters. The first record that passes them sends it back to
     * its own consumer from that record (the reader's progress is committed to its group {@code
     * webhooks-{id}} first, and every 5 s while it is parked, so Kafka's tools show its lag);
     * records that do not pass are committed as its own consumer would. The reader never
     * delivers, so a failing webhook never slows it. Only for subscriptions of one topic that run
     * on this engine alone ({@code parallelism} 1 with {@link Assignment#SLOTS}, or a store that
     * is not shared); others keep their consumer. Default: off, every active subscription keeps
     * its own consumer and thread.
     *
     * @throws ValidationException when not positive
     */
    public Builder shareIdleReading(Duration idleAfter) {
      this.idleAfter = positive(idleAfter, "idleAfter");
      return this;
    }

    /**
     * The topic whose partitions are the slots ({@link Assignment#SLOTS}); default {@code
     * webhookd.slots}. The engine creates it when absent, with 64 partitions and as many replicas
     * as the cluster allows (up to 3); nothing is ever written to it.
     */
    public Builder slotsTopic(String topic) {
      requireNonNull(topic, "topic");
      if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
        throw invalid("slotsTopic", "must be a Kafka topic name (letters, digits, '.', '_', '-'), was \"" + topic + "\"");
      }
      this.slotsTopic = topic;
      return this;
    }

    /** Kafka's {@code bootstrap.servers}. Required (here or in {@link #kafkaProperties}). */
    public Builder bootstrapServers(String servers) {
      kafka.put("bootstrap.servers", requireNonNull(servers, "servers"));
      return this;
    }

    /**
     * Kafka consumer properties passed through to every consumer (security, client.id prefix,
     * fetch tuning, {@code group.protocol}). {@code group.id}, deserializers and {@code
     * enable.auto.commit} are set by webhookd and cannot be overridden.
     */
    public Builder kafkaProperties(Map<String, ?> properties) {
      kafka.putAll(properties);
      return this;
    }

    /** Kafka consumer properties; see {@link #kafkaProperties(Map)}. */
    public Builder kafkaProperties(Properties properties) {
      properties.forEach((k, v) -> kafka.put(String.valueOf(k), v));
      return this;
    }

    /**
     * The HTTP transport, for {@code http} and {@code https} URLs. When none is given, one is found
     * with {@link java.util.ServiceLoader} ({@code webhookd-http-jdk} and {@code
     * webhookd-http-apache} provide it). The engine closes it.
     */
    public Builder destination(WebhookDestination destination) {
      requireNonNull(destination, "destination");
      destinations.put("http", destination);
      destinations.put("https", destination);
      return this;
    }

    /**
     * The transport of the URLs of one scheme: a subscription whose webhook URL is {@code
     * file:/var/spool/hooks} goes to the destination of {@code file}. Use it for transports of
     * your own ({@code file}, {@code sqs}, ...); {@code http} and {@code https} may be given here
     * too. A subscription whose scheme no destination serves is refused when it is registered.
     * The engine closes each destination once.
     *
     * @param scheme a URL scheme, case-insensitive
     */
    public Builder destination(String scheme, WebhookDestination destination) {
      requireNonNull(scheme, "scheme");
      requireNonNull(destination, "destination");
      if (!scheme.matches("[A-Za-z][A-Za-z0-9+.-]*")) {
        throw new ValidationException(List.of(new Problem("destination.scheme", "must be a URL scheme (a letter, then letters, digits, + . -), was \"" + scheme + "\"")));
      }
      destinations.put(scheme.toLowerCase(Locale.ROOT), destination);
      return this;
    }

    /** Where subscriptions are kept; default in memory. The engine closes it. */
    public Builder store(SubscriptionStore store) {
      this.store = requireNonNull(store, "store");
      return this;
    }

    /** Adds a listener; see {@link SubscriptionListener} for threads and pairing. */
    public Builder listener(SubscriptionListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
      return this;
    }

    /** Where alerts go; default {@link AlertChannel#logging()}. The engine closes it. */
    public Builder alertChannel(AlertChannel channel) {
      this.alertChannel = requireNonNull(channel, "channel");
      return this;
    }

    /**
     * A Micrometer registry for webhookd's metrics ({@code webhookd.*} meters tagged with the
     * subscription id). Micrometer ({@code io.micrometer:micrometer-core}) is an optional
     * dependency: without this call the engine needs none of it.
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = requireNonNull(registry, "registry");
      return this;
    }

    /**
     * The OpenTelemetry through which each delivery attempt gets a span ({@code webhookd.delivery},
     * kind CLIENT, with the attributes {@code webhookd.subscription.id}, {@code webhookd.batch.id},
     * {@code webhookd.batch.size}, {@code webhookd.attempt}, {@code http.request.method}, {@code
     * http.response.status_code}, and {@code error.type} with an error status on failure). The
     * span of a one-message batch whose record carries a W3C {@code traceparent} is a child of the
     * record's context; a larger batch's starts a new trace linked to its messages' contexts. The
     * request carries the span's {@code traceparent} (and {@code tracestate}).
     *
     * <p>Default: {@code GlobalOpenTelemetry}, once the application has set it (webhookd never
     * reads it before, which would fix it to a no-op), when the OpenTelemetry API is on the class
     * path and has {@code GlobalOpenTelemetry.isSet()} (recent versions; not 1.55.0, which Spring
     * Boot 4.0 manages: the starter passes the application's {@code OpenTelemetry} bean). The API ({@code io.opentelemetry:opentelemetry-api}) is an optional dependency:
     * without it, or without a tracer, no span is made, and the request of a one-message batch
     * still carries its record's trace with a new span id per attempt (a larger batch's carries
     * none). Pass {@code OpenTelemetry.noop()} for no spans.
     */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /**
     * Extra per-topic filters ANDed with every subscription's own: the multi-tenant hook by which
     * a server confines each client to what it may see (row-level access). Default none.
     */
    public Builder rowFilterPolicy(RowFilterPolicy policy) {
      this.rowFilterPolicy = requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Makes each subscription's {@link Batcher} when its consumer starts; default {@link
     * Batcher.Factory#FROM_SPEC} (the subscription's {@code configuration.batching}).
     */
    public Builder batchers(Batcher.Factory factory) {
      this.batchers = requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Makes each subscription's {@link Retrier} when its consumer starts; default {@link
     * Retrier.Factory#FROM_SPEC} (the subscription's {@code configuration.retry}). The
     * subscription's {@code max_retries} still decides when it turns unhealthy.
     */
    public Builder retriers(Retrier.Factory factory) {
      this.retriers = requireNonNull(factory, "factory");
      return this;
    }

    /**
     * How long one webhook request may take; default 30 s. A rebalance waits up to this plus 5 s
     * for the open requests of the partitions it moves, inside Kafka's poll, so Kafka's {@code
     * max.poll.interval.ms} (5 min by default) must stay above it: {@link #build()} checks.
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** How long {@link Webhookd#close()} waits for in-flight batches; default 30 s. */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = positive(timeout, "shutdownTimeout");
      return this;
    }

    /** How often a shared store is checked for changes made by other engines; default 2 s. */
    public Builder storePollInterval(Duration interval) {
      this.storePollInterval = positive(interval, "storePollInterval");
      return this;
    }

    /** The least time between two alerts of the same kind for a subscription; default 5 min; 0 for none. */
    public Builder alertMinInterval(Duration interval) {
      requireNonNull(interval, "interval");
      if (interval.isNegative()) {
        throw invalid("alertMinInterval", "must not be negative, was " + interval);
      }
      this.alertMinInterval = interval;
      return this;
    }

    /** How often an unhealthy subscription's alert is repeated; default 1 h. */
    public Builder alertReminderInterval(Duration interval) {
      this.alertReminderInterval = positive(interval, "alertReminderInterval");
      return this;
    }

    /**
     * How long dead letters are kept, and how many per subscription at most (the oldest go
     * first); default 14 days and 100,000.
     */
    public Builder deadLetterRetention(Duration maxAge, int maxPerSubscription) {
      positive(maxAge, "deadLetterRetention");
      if (maxPerSubscription < 1) {
        throw invalid("deadLetterRetention", "must keep at least 1 per subscription, was " + maxPerSubscription);
      }
      this.deadLetterRetention = new Engine.Retention(maxAge, maxPerSubscription);
      return this;
    }

    /** How many {@code recent_activity} entries are kept per subscription; default 100. */
    public Builder activityLimit(int limit) {
      if (limit < 1 || limit > 10_000) {
        throw invalid("activityLimit", "must be between 1 and 10000, was " + limit);
      }
      this.activityLimit = limit;
      return this;
    }

    /**
     * Starts the engine: loads subscriptions from the store and starts the active ones (unless
     * the stored state is offline). A stored subscription that cannot run (say its URL's scheme
     * has no destination on this engine) does not stop the others: it is logged and reported in
     * its {@link SubscriptionStatus#problem()}.
     *
     * @throws ValidationException when no bootstrap servers are configured, or Kafka properties
     *     cannot work: one that the chosen group protocol refuses ({@code session.timeout.ms} with
     *     {@code group.protocol=consumer}), or a {@code max.poll.interval.ms} not above the request
     *     timeout plus 5 s
     * @throws WebhookdException when no HTTP destination is given and none is on the class path
     */
    public Webhookd build() {
      if (!kafka.containsKey("bootstrap.servers")) {
        throw invalid("bootstrap.servers", "is required: call bootstrapServers(...) or kafkaProperties(...)");
      }
      Engine.Config config =
          new Engine.Config(
              kafka,
              destinations,
              store,
              listeners,
              alertChannel,
              meterRegistry,
              rowFilterPolicy,
              requestTimeout,
              shutdownTimeout,
              storePollInterval,
              alertMinInterval,
              alertReminderInterval,
              activityLimit,
              batchers,
              retriers,
              KafkaConsumer::new,
              openTelemetry,
              deadLetterRetention,
              new Engine.Scaling(
                  assignment,
                  engineId != null ? engineId : Engine.Scaling.newEngineId(),
                  coordinationGroup,
                  slotsTopic,
                  Engine.Scaling.DEFAULT_SLOTS,
                  Duration.ofSeconds(5),
                  idleAfter));
      return new Webhookd(Engine.start(config));
    }

    private static Duration positive(Duration d, String name) {
      requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw invalid(name, "must be positive, was " + d);
      }
      return d;
    }

    private static ValidationException invalid(String field, String message) {
      return new ValidationException(List.of(new Problem(field, message)));
    }
  }
}
