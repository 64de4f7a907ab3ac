package io.webhookd.store.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariDataSource;
import io.webhookd.ActivityEvent;
import io.webhookd.DeadLetter;
import io.webhookd.EngineInfo;
import io.webhookd.HealthDetails;
import io.webhookd.OnlineState;
import io.webhookd.Subscription;
import io.webhookd.WebhookdException;
import io.webhookd.spi.EngineCommand;
import io.webhookd.spi.SubscriptionStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SubscriptionStore} in SQL: an embedded H2 file by default ({@link #h2(Path)}),
 * PostgreSQL in production ({@link #builder()} with a {@code jdbc:postgresql://} URL). Thread-safe:
 * every method takes a pooled connection (HikariCP) and runs one short transaction.
 *
 * <h2>Schema</h2>
 *
 * Flyway migrates the schema at {@link Builder#build()} (scripts under {@code
 * io/webhookd/store/jdbc/migration}, away from the {@code db/migration} an application's own Flyway
 * scans; history in {@code flyway_schema_history}, or the table of {@link
 * Builder#schemaHistoryTable(String)}). webhookd's tables may share a database schema with other
 * tables (an application's): its scripts then all run from version 0. An older schema is migrated;
 * a schema newer than this
 * version of webhookd knows is refused with a {@link WebhookdException}, so an old process never
 * writes into a database an upgraded one already changed. Tables: {@code subscriptions} (the
 * subscription document as JSON in full form, secrets encrypted), {@code admin_state} (one row),
 * {@code subscription_health}, {@code activity} (bounded by the {@code keep} of {@link
 * #appendActivity}), {@code delivery_attempts} (every {@code api_call} event, bounded by {@link
 * Builder#attemptRetention(Duration)} and {@link Builder#maxAttemptsPerSubscription(int)}), {@code
 * alert_claims}, {@code engines} (the registry of running engines, migration 3), {@code
 * dead_letters} (migration 4; listed through an index on {@code (subscription_id, id)}, removed
 * with their subscription, bounded by the engine's retention through {@link #pruneDeadLetters})
 * and {@code engine_commands} (migration 4; the operations one engine asks of the others, {@link
 * #completeCommand} a conditional update).
 *
 * <h2>Secrets at rest</h2>
 *
 * The webhook URL (its query or user info may hold a token), header values and the signing
 * secret are encrypted with AES-256-GCM before they are written: {@code enc:v1:<key id>:<base64>}, a random 12-byte nonce per value, the subscription id
 * as associated data; the key id is the first 8 hex digits of the key's SHA-256. The key comes from
 * {@link Builder#encryptionKey(String)} (base64 of 32 bytes) or from a key file ({@link
 * Builder#keyFile(Path)}; {@link #h2(Path)} uses {@code webhookd.key} beside the database and
 * creates it once with permissions {@code rw-------}).
 *
 * <p><b>Key rotation.</b> Make a new key ({@code openssl rand -base64 32}); configure it as the
 * encryption key and the previous one as an old key ({@link Builder#decryptionKeys(List)}, or in a
 * key file: the new key on the first line, old keys on the following lines). Values written from
 * then on use the new key; old values stay readable with the old key and are re-encrypted with the
 * new one whenever their subscription is updated. Call {@link #reencryptAll()} to rewrite every
 * subscription at once; after that the old key may be removed. A value whose key is not configured
 * fails to read with a message naming the missing key id.
 *
 * <p>A dead letter's message (the Kafka record's key, value and headers as the webhook receives
 * them) is encrypted the same way, with the subscription and dead letter ids as associated data:
 * it is a customer's data, kept in the database after Kafka's own retention has removed it.
 *
 * <p>Databases written before URLs were encrypted are upgraded by migration 2, which encrypts
 * every plain URL with the configured key; a plain URL is read as it is all the same.
 *
 * <h2>Sharing</h2>
 *
 * {@link #isShared()} is true for a server database (PostgreSQL, H2 over TCP or with {@code
 * AUTO_SERVER}): engines then poll {@link #list()} for changes made elsewhere. Optimistic
 * concurrency ({@link #update}) and alert claims ({@link #claimAlert}) are atomic across
 * processes.
 */
public final class JdbcSubscriptionStore implements SubscriptionStore {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcSubscriptionStore.class);
  private static final Pattern URL_SECRET =
      Pattern.compile("(?i)((?:password|passwd|pwd|sslpassword|secret|token|key)=)([^&;]*)");
  private static final Pattern URL_USERINFO = Pattern.compile("(//[^/:@]*:)([^@/]*)(@)");

  private final DataSource dataSource;
  /** The pool this store made and closes; null when the application handed its own DataSource. */
  private final @Nullable HikariDataSource ownPool;
  private final SecretCipher cipher;
  private final boolean shared;
  private final String maskedUrl;
  private final SubscriptionRows subscriptions;
  private final OnlineStateRow onlineState;
  private final HealthRows health;
  private final ActivityRows activity;
  private final AlertClaims alertClaims;
  private final DeadLetterRows deadLetters;
  private final EngineCommandRows commands;
  private final EngineRows engineRows;
  private final AtomicBoolean closed = new AtomicBoolean();

  private JdbcSubscriptionStore(
      DataSource dataSource,
      @Nullable HikariDataSource ownPool,
      SecretCipher cipher,
      Dialect dialect,
      boolean shared,
      Clock clock,
      Duration attemptRetention,
      int maxAttemptsPerSubscription,
      String maskedUrl) {
    this.dataSource = dataSource;
    this.ownPool = ownPool;
    this.cipher = cipher;
    this.shared = shared;
    this.maskedUrl = maskedUrl;
    Database db = new Database(dataSource, dialect, maskedUrl);
    this.subscriptions = new SubscriptionRows(db, new EncryptedSpecs(cipher));
    this.onlineState = new OnlineStateRow(db);
    this.health = new HealthRows(db, clock);
    this.activity = new ActivityRows(db, clock, attemptRetention, maxAttemptsPerSubscription);
    this.alertClaims = new AlertClaims(db);
    this.deadLetters = new DeadLetterRows(db, cipher);
    this.commands = new EngineCommandRows(db);
    this.engineRows = new EngineRows(db);
  }

  /** A builder; {@link Builder#jdbcUrl(String)} or {@link Builder#dataSource(DataSource)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A store in the H2 database file {@code dataDir/webhookd.mv.db} (created with the directory when
   * missing), its key in {@code dataDir/webhookd.key} (created once, owner-only). Not shared.
   *
   * @throws WebhookdException when the database cannot be opened (for example, another process
   *     has it open) or its schema is newer than this webhookd
   */
  public static JdbcSubscriptionStore h2(Path dataDir) {
    Path dir = dataDir.toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new WebhookdException("cannot create the data directory " + dir + ": " + e, e);
    }
    return builder()
        .jdbcUrl("jdbc:h2:file:" + dir.resolve("webhookd"))
        .username("sa")
        .password("")
        .keyFile(dir.resolve("webhookd.key"))
        .build();
  }

  /** The JDBC URL with any password in it masked. */
  public String jdbcUrl() {
    return maskedUrl;
  }

  /** The id of the key new secrets are encrypted with (first 8 hex digits of its SHA-256). */
  public String encryptionKeyId() {
    return cipher.encryptionKeyId();
  }

  /**
   * The pooled data source, for health checks and metrics: the store's own pool, or the one given
   * to {@link Builder#dataSource(DataSource)}. Do not close it; close the store.
   */
  public DataSource dataSource() {
    return dataSource;
  }

  // ---------------------------------------------------------------------------------------------
  // Subscriptions

  @Override
  public Subscription create(Subscription s) {
    return subscriptions.create(s);
  }

  @Override
  public Subscription update(Subscription s, long expectedVersion) {
    return subscriptions.update(s, expectedVersion);
  }

  @Override
  public boolean delete(String id) {
    boolean deleted = subscriptions.delete(id);
    activity.forget(id);
    return deleted;
  }

  @Override
  public Optional<Subscription> get(String id) {
    return subscriptions.get(id);
  }

  @Override
  public List<Subscription> list() {
    return subscriptions.list();
  }

  /**
   * Rewrites every subscription with the current encryption key (same version), and every dead
   * letter whose message another key encrypted, so that old keys may be dropped afterwards.
   *
   * @return how many subscriptions were rewritten
   */
  public int reencryptAll() {
    deadLetters.reencryptAll();
    return subscriptions.reencryptAll();
  }

  // ---------------------------------------------------------------------------------------------
  // Admin state and health

  @Override
  public OnlineState onlineState() {
    return onlineState.read();
  }

  @Override
  public void saveOnlineState(OnlineState state) {
    onlineState.save(state);
  }

  @Override
  public void saveHealth(String id, HealthDetails health) {
    this.health.save(id, health);
  }

  @Override
  public Optional<HealthDetails> health(String id) {
    return health.read(id);
  }

  @Override
  public Map<String, HealthDetails> health(Collection<String> ids) {
    return health.read(ids);
  }

  // ---------------------------------------------------------------------------------------------
  // Activity and delivery attempts

  @Override
  public void appendActivity(String id, List<ActivityEvent> events, int keep) {
    activity.append(id, events, keep);
  }

  @Override
  public List<ActivityEvent> recentActivity(String id, int limit) {
    return activity.recent(id, limit);
  }

  /**
   * The delivery history: {@code api_call} events of a subscription at or after {@code since},
   * newest first, at most {@code limit}. Kept for {@link Builder#attemptRetention(Duration)} (7 days
   * by default) and at most {@link Builder#maxAttemptsPerSubscription(int)} (10000) per
   * subscription; pruning runs every few writes, so a few more may be returned for a while.
   */
  public List<ActivityEvent> deliveryAttempts(String id, Instant since, int limit) {
    return activity.attempts(id, since, limit);
  }

  // ---------------------------------------------------------------------------------------------
  // Alert claims

  @Override
  public boolean claimAlert(String id, String key, Instant now, Duration minInterval) {
    return alertClaims.claim(id, key, now, minInterval);
  }

  // ---------------------------------------------------------------------------------------------
  // Dead letters

  /** True: dead letters are kept in the {@code dead_letters} table. */
  @Override
  public boolean supportsDeadLetters() {
    return true;
  }

  /**
   * Inserts the letters in one transaction, committed before this returns; a letter whose id is
   * stored already is left as it is. Letters of a subscription that is not (or no longer) stored
   * are dropped, as its dead letters would be by {@link #delete}.
   */
  @Override
  public void addDeadLetters(List<DeadLetter> letters) {
    deadLetters.add(letters);
  }

  /** A range scan of the index on {@code (subscription_id, id)}; no other subscription is read. */
  @Override
  public DeadLetter.Page deadLetters(String subscriptionId, @Nullable String after, int limit) {
    return deadLetters.page(subscriptionId, after, limit);
  }

  @Override
  public List<DeadLetter> deadLetters(String subscriptionId, Collection<String> ids) {
    return deadLetters.byIds(subscriptionId, ids);
  }

  @Override
  public boolean removeDeadLetter(String subscriptionId, String id) {
    return deadLetters.remove(subscriptionId, id);
  }

  /**
   * Removes the letters written before {@code before} (the index on {@code dead_lettered_at}),
   * then, subscription by subscription, those older than the newest {@code keepPerSubscription}
   * (the index on {@code (subscription_id, id)}).
   */
  @Override
  public int pruneDeadLetters(Instant before, int keepPerSubscription) {
    return deadLetters.prune(before, keepPerSubscription);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands between engines

  /** Inserts the command; one whose id is stored already is left as it is. */
  @Override
  public void addCommand(EngineCommand command) {
    commands.add(command);
  }

  @Override
  public List<EngineCommand> pendingCommands(Instant now) {
    return commands.pending(now);
  }

  @Override
  public Optional<EngineCommand> command(String id) {
    return commands.get(id);
  }

  /**
   * One conditional {@code UPDATE … WHERE id = ? AND result IS NULL}: the database lets exactly
   * one of concurrent completers, in any process, update the row.
   */
  @Override
  public boolean completeCommand(String id, String result) {
    return commands.complete(id, result);
  }

  @Override
  public void removeCommands(Instant before) {
    commands.removeBefore(before);
  }

  @Override
  public void saveEngine(EngineInfo engine) {
    engineRows.save(engine);
  }

  @Override
  public List<EngineInfo> engines(Instant since) {
    return engineRows.since(since);
  }

  @Override
  public void removeEngines(Collection<String> ids) {
    engineRows.remove(ids);
  }

  @Override
  public boolean isShared() {
    return shared;
  }

  /**
   * Closes the store's own connection pool; a {@link Builder#dataSource(DataSource) DataSource
   * given by the application} is left open (it belongs to the application). Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && ownPool != null) {
      ownPool.close();
    }
  }

  @Override
  public String toString() {
    return "JdbcSubscriptionStore[" + maskedUrl + "]";
  }

  /** The URL with password-like parameters and user-info passwords masked. */
  static String maskUrl(String url) {
    String masked = URL_SECRET.matcher(url).replaceAll("$1****");
    return URL_USERINFO.matcher(masked).replaceAll("$1****$3");
  }

  /**
   * Collects the store's settings. Not thread-safe; {@link #build()} connects, migrates the
   * schema, and returns a store that shares no state with the builder.
   */
  public static final class Builder {
    /** Flyway's own default history table, which the store used before it could be chosen. */
    public static final String DEFAULT_SCHEMA_HISTORY_TABLE = "flyway_schema_history";

    private @Nullable String jdbcUrl;
    private @Nullable DataSource givenDataSource;
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable String encryptionKey;
    private List<String> decryptionKeys = List.of();
    private @Nullable Path keyFile;
    private int maxPoolSize = 10;
    private Duration connectionTimeout = Duration.ofSeconds(5);
    private boolean poolSettingsSet;
    private String schemaHistoryTable = DEFAULT_SCHEMA_HISTORY_TABLE;
    private Duration attemptRetention = Duration.ofDays(7);
    private int maxAttemptsPerSubscription = 10_000;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * {@code jdbc:h2:…} or {@code jdbc:postgresql://…}: the store makes a connection pool of its own
     * (HikariCP) and closes it with the store. This or {@link #dataSource(DataSource)} is required.
     */
    public Builder jdbcUrl(String jdbcUrl) {
      this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl");
      return this;
    }

    /**
     * The application's own {@link DataSource} (a pool, say Spring Boot's), instead of a {@link
     * #jdbcUrl(String) JDBC URL}: the store takes its connections from it and never closes it.
     * The schema is migrated through it at {@link #build()} as with a URL; the database kind (H2,
     * PostgreSQL) and whether it is shared come from the URL its connections report. {@link
     * #username}, {@link #password}, {@link #maxPoolSize} and {@link #connectionTimeout} belong to
     * the store's own pool and cannot be combined with it: configure the given pool instead.
     */
    public Builder dataSource(DataSource dataSource) {
      this.givenDataSource = requireNonNull(dataSource, "dataSource");
      return this;
    }

    public Builder username(@Nullable String username) {
      this.username = username;
      return this;
    }

    public Builder password(@Nullable String password) {
      this.password = password;
      return this;
    }

    /**
     * The key that encrypts secrets: base64 of 32 random bytes ({@code openssl rand -base64 32}).
     * Takes precedence over {@link #keyFile(Path)}. For an embedded H2 URL without either, a key
     * file beside the database is created; for other databases one of them is required.
     */
    public Builder encryptionKey(@Nullable String base64Key) {
      this.encryptionKey = base64Key;
      return this;
    }

    /**
     * The table in which Flyway records webhookd's schema versions; default {@value
     * #DEFAULT_SCHEMA_HISTORY_TABLE}, Flyway's own default. Give webhookd a table of its own (say
     * {@code webhookd_schema_history}) when it shares a database schema with an application that
     * migrates its own tables with Flyway: two sets of migrations in one history table refuse each
     * other. Never change it for a database webhookd already migrated (it would migrate again).
     */
    public Builder schemaHistoryTable(String table) {
      this.schemaHistoryTable = requireNonNull(table, "table");
      return this;
    }

    /** Old keys (base64 of 32 bytes each) that still decrypt values written with them. */
    public Builder decryptionKeys(List<String> base64Keys) {
      this.decryptionKeys = List.copyOf(base64Keys);
      return this;
    }

    /**
     * A key file: its first non-comment line is the encryption key, later lines are old keys.
     * Created with a new random key and permissions {@code rw-------} when it does not exist.
     */
    public Builder keyFile(@Nullable Path keyFile) {
      this.keyFile = keyFile;
      return this;
    }

    /** Connections in the pool, 1 to 100; default 10. */
    public Builder maxPoolSize(int maxPoolSize) {
      this.maxPoolSize = maxPoolSize;
      this.poolSettingsSet = true;
      return this;
    }

    /** How long to wait for a connection, 250 ms to 5 minutes; default 5 s. */
    public Builder connectionTimeout(Duration timeout) {
      this.connectionTimeout = requireNonNull(timeout, "connectionTimeout");
      this.poolSettingsSet = true;
      return this;
    }

    /** How long delivery attempts are kept, at least 1 minute; default 7 days. */
    public Builder attemptRetention(Duration retention) {
      this.attemptRetention = requireNonNull(retention, "attemptRetention");
      return this;
    }

    /** Same as {@link #attemptRetention(Duration)}. */
    public Builder activityRetention(Duration retention) {
      return attemptRetention(retention);
    }

    /** The most delivery attempts kept per subscription, at least 1; default 10000. */
    public Builder maxAttemptsPerSubscription(int max) {
      this.maxAttemptsPerSubscription = max;
      return this;
    }

    /** The clock of attempt pruning and health update times; default UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Connects, migrates the schema, and returns the store.
     *
     * @throws io.webhookd.ValidationException when a setting is invalid (every problem listed)
     * @throws WebhookdException when the database cannot be reached (the message names the URL
     *     with its password masked), the schema is newer than this webhookd, or the key is unusable
     */
    public JdbcSubscriptionStore build() {
      List<io.webhookd.Problem> problems = new ArrayList<>();
      if (givenDataSource != null) {
        if (jdbcUrl != null) {
          problems.add(new io.webhookd.Problem("jdbcUrl", "must not be set together with dataSource: give one of them, was \"" + maskUrl(jdbcUrl) + "\""));
        }
        if (username != null || password != null) {
          problems.add(new io.webhookd.Problem("username", "must not be set together with dataSource: the DataSource has its own credentials"));
        }
        if (poolSettingsSet) {
          problems.add(new io.webhookd.Problem("maxPoolSize", "maxPoolSize and connectionTimeout size the store's own pool and must not be set together with dataSource: configure that DataSource's pool instead"));
        }
      } else if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
        problems.add(new io.webhookd.Problem("jdbcUrl", "must be a JDBC URL (jdbc:h2:… or jdbc:postgresql://…), was " + (jdbcUrl == null ? "null" : "\"" + maskUrl(jdbcUrl) + "\"")));
      }
      if (!schemaHistoryTable.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
        problems.add(new io.webhookd.Problem("schemaHistoryTable", "must be a table name of letters, digits and _ (at most 63, not starting with a digit), was \"" + schemaHistoryTable + "\""));
      }
      if (maxPoolSize < 1 || maxPoolSize > 100) {
        problems.add(new io.webhookd.Problem("maxPoolSize", "must be between 1 and 100, was " + maxPoolSize));
      }
      if (connectionTimeout.compareTo(Duration.ofMillis(250)) < 0 || connectionTimeout.compareTo(Duration.ofMinutes(5)) > 0) {
        problems.add(new io.webhookd.Problem("connectionTimeout", "must be between 250 ms and 5 minutes, was " + connectionTimeout.toMillis() + " ms"));
      }
      if (attemptRetention.compareTo(Duration.ofMinutes(1)) < 0) {
        problems.add(new io.webhookd.Problem("attemptRetention", "must be at least 1 minute, was " + attemptRetention));
      }
      if (maxAttemptsPerSubscription < 1) {
        problems.add(new io.webhookd.Problem("maxAttemptsPerSubscription", "must be at least 1, was " + maxAttemptsPerSubscription));
      }
      if (!problems.isEmpty()) {
        throw new io.webhookd.ValidationException(problems);
      }
      String url = givenDataSource != null ? urlOf(givenDataSource) : jdbcUrl;
      String lower = url.toLowerCase(Locale.ROOT);
      Dialect dialect = Dialect.of(url);
      boolean embedded =
          dialect == Dialect.H2
              && !lower.startsWith("jdbc:h2:tcp:")
              && !lower.startsWith("jdbc:h2:ssl:")
              && !lower.contains("auto_server=true");
      String masked = maskUrl(url);

      SecretCipher cipher;
      if (encryptionKey != null) {
        cipher = SecretCipher.of(encryptionKey, decryptionKeys);
      } else if (keyFile != null) {
        cipher = SecretCipher.fromKeyFile(keyFile, decryptionKeys);
      } else if (embedded && lower.startsWith("jdbc:h2:file:")) {
        String path = url.substring("jdbc:h2:file:".length());
        int semi = path.indexOf(';');
        cipher = SecretCipher.fromKeyFile(Path.of((semi < 0 ? path : path.substring(0, semi)) + ".key"), decryptionKeys);
      } else {
        throw new WebhookdException(
            "an encryption key is required for " + masked + ": set encryptionKey(base64 of 32 bytes) or keyFile(path)");
      }

      if (givenDataSource != null) {
        SchemaMigration.migrate(givenDataSource, masked, schemaHistoryTable, cipher, dialect);
        LOG.info("subscription store at {} through the application's DataSource (schema migrated, key {})", masked, cipher.encryptionKeyId());
        return new JdbcSubscriptionStore(
            givenDataSource, null, cipher, dialect, !embedded, clock, attemptRetention, maxAttemptsPerSubscription, masked);
      }
      HikariDataSource ds = OwnPool.open(url, username, password, maxPoolSize, connectionTimeout, dialect, masked);
      try {
        SchemaMigration.migrate(ds, masked, schemaHistoryTable, cipher, dialect);
      } catch (RuntimeException e) {
        ds.close();
        throw e;
      }
      LOG.info("subscription store at {} (schema migrated, key {})", masked, cipher.encryptionKeyId());
      return new JdbcSubscriptionStore(
          ds, ds, cipher, dialect, !embedded, clock, attemptRetention, maxAttemptsPerSubscription, masked);
    }

    /** The URL the given DataSource's connections report: it tells the database kind. */
    private static String urlOf(DataSource ds) {
      try (Connection c = ds.getConnection()) {
        String url = c.getMetaData().getURL();
        if (url == null || !url.startsWith("jdbc:")) {
          throw new WebhookdException(
              "the given DataSource's connections report no JDBC URL (was " + url + "), which tells webhookd the database kind");
        }
        return url;
      } catch (SQLException e) {
        throw new WebhookdException(
            "cannot connect to the database of the given DataSource: " + maskUrl(String.valueOf(e.getMessage())) + " (SQL state " + e.getSQLState() + ")", e);
      }
    }
  }
}
