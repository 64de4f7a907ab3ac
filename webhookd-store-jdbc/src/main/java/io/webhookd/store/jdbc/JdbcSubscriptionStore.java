package io.webhookd.store.jdbc;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.webhookd.ActivityEvent;
import io.webhookd.OnlineState;
import io.webhookd.ConflictException;
import io.webhookd.EngineInfo;
import io.webhookd.HealthDetails;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionJson;
import io.webhookd.SubscriptionNotFoundException;
import io.webhookd.SubscriptionSpec;
import io.webhookd.WebhookdException;
import io.webhookd.spi.SubscriptionStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
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
 * Builder#attemptRetention(Duration)} and {@link Builder#maxAttemptsPerSubscription(int)}) and
 * {@code alert_claims} and {@code engines} (the registry of running engines, migration 3).
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
  private static final int PRUNE_EVERY = 64;

  private enum Dialect {
    H2,
    POSTGRESQL,
    OTHER
  }

  private final DataSource dataSource;
  /** The pool this store made and closes; null when the application handed its own DataSource. */
  private final @Nullable HikariDataSource ownPool;
  private final SecretCipher cipher;
  private final Dialect dialect;
  private final boolean shared;
  private final Clock clock;
  private final Duration attemptRetention;
  private final int maxAttemptsPerSubscription;
  private final String maskedUrl;
  private final ConcurrentHashMap<String, AtomicInteger> attemptWrites = new ConcurrentHashMap<>();
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
    this.dialect = dialect;
    this.shared = shared;
    this.clock = clock;
    this.attemptRetention = attemptRetention;
    this.maxAttemptsPerSubscription = maxAttemptsPerSubscription;
    this.maskedUrl = maskedUrl;
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
    requireNonNull(s, "subscription");
    if (s.version() != 1) {
      throw new IllegalArgumentException("a new subscription's version must be 1, was " + s.version());
    }
    String sql =
        "INSERT INTO subscriptions (id, spec, owner, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, s.id());
      ps.setString(2, encode(s));
      ps.setString(3, s.owner());
      ps.setLong(4, s.version());
      ps.setObject(5, odt(s.createdAt()));
      ps.setObject(6, odt(s.updatedAt()));
      ps.executeUpdate();
      return s;
    } catch (SQLException e) {
      if (isUniqueViolation(e)) {
        throw new WebhookdException("a subscription with id " + s.id() + " already exists");
      }
      throw failure("create subscription " + s.id(), e);
    }
  }

  @Override
  public Subscription update(Subscription s, long expectedVersion) {
    requireNonNull(s, "subscription");
    if (s.version() == expectedVersion + 1) {
      String sql =
          "UPDATE subscriptions SET spec = ?, owner = ?, version = ?, created_at = ?, updated_at = ?"
              + " WHERE id = ? AND version = ?";
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, encode(s));
        ps.setString(2, s.owner());
        ps.setLong(3, s.version());
        ps.setObject(4, odt(s.createdAt()));
        ps.setObject(5, odt(s.updatedAt()));
        ps.setString(6, s.id());
        ps.setLong(7, expectedVersion);
        if (ps.executeUpdate() == 1) {
          return s;
        }
      } catch (SQLException e) {
        throw failure("update subscription " + s.id(), e);
      }
    }
    Long current = currentVersion(s.id());
    if (current == null) {
      throw new SubscriptionNotFoundException(s.id());
    }
    if (current != expectedVersion) {
      throw new ConflictException(s.id(), expectedVersion, current);
    }
    throw new IllegalArgumentException(
        "the updated version must be " + (expectedVersion + 1) + ", was " + s.version());
  }

  private @Nullable Long currentVersion(String id) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT version FROM subscriptions WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    } catch (SQLException e) {
      throw failure("read the version of subscription " + id, e);
    }
  }

  @Override
  public boolean delete(String id) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        // Health, activity and attempts go by ON DELETE CASCADE; claims have no foreign key.
        int n;
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM subscriptions WHERE id = ?")) {
          ps.setString(1, id);
          n = ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM alert_claims WHERE subscription_id = ?")) {
          ps.setString(1, id);
          ps.executeUpdate();
        }
        c.commit();
        attemptWrites.remove(id);
        return n > 0;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failure("delete subscription " + id, e);
    }
  }

  @Override
  public Optional<Subscription> get(String id) {
    String sql = "SELECT id, spec, owner, version FROM subscriptions WHERE id = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(decode(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure("read subscription " + id, e);
    }
  }

  @Override
  public List<Subscription> list() {
    String sql = "SELECT id, spec, owner, version FROM subscriptions ORDER BY created_at, id";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      List<Subscription> out = new ArrayList<>();
      while (rs.next()) {
        out.add(decode(rs));
      }
      // created_at is stored to the microsecond; the exact instants come from the JSON.
      out.sort(
          java.util.Comparator.comparing(Subscription::createdAt).thenComparing(Subscription::id));
      return out;
    } catch (SQLException e) {
      throw failure("list subscriptions", e);
    }
  }

  /**
   * Rewrites every subscription with the current encryption key (same version), so that old keys
   * may be dropped afterwards.
   *
   * @return how many subscriptions were rewritten
   */
  public int reencryptAll() {
    int n = 0;
    for (Subscription s : list()) {
      String sql = "UPDATE subscriptions SET spec = ? WHERE id = ? AND version = ?";
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, encode(s));
        ps.setString(2, s.id());
        ps.setLong(3, s.version());
        n += ps.executeUpdate();
      } catch (SQLException e) {
        throw failure("re-encrypt subscription " + s.id(), e);
      }
    }
    return n;
  }

  /** The full JSON form with the URL, every header value and the signing secret encrypted. */
  private String encode(Subscription s) {
    ObjectNode json = SubscriptionJson.toJson(s, false);
    ObjectNode webhook = (ObjectNode) json.path("destination").path("webhook");
    webhook.put("url", cipher.encrypt(webhook.path("url").asText(), s.id()));
    ArrayNode headers = (ArrayNode) webhook.path("headers");
    for (int i = 0; i < headers.size(); i++) {
      String h = headers.get(i).asText();
      int colon = h.indexOf(':');
      headers.set(i, h.substring(0, colon) + ": " + cipher.encrypt(h.substring(colon + 2), s.id()));
    }
    JsonNode secret = webhook.get("signing_secret");
    if (secret != null && secret.isTextual()) {
      webhook.put("signing_secret", cipher.encrypt(secret.asText(), s.id()));
    }
    return json.toString();
  }

  private Subscription decode(ResultSet rs) throws SQLException {
    String id = rs.getString("id");
    JsonNode json = SubscriptionJson.readTree(rs.getString("spec").getBytes(StandardCharsets.UTF_8));
    ObjectNode webhook = (ObjectNode) json.path("destination").path("webhook");
    JsonNode url = webhook.get("url");
    if (url != null && url.isTextual()) {
      // a URL written before URLs were encrypted is plain: decrypt() returns it as it is
      webhook.put("url", cipher.decrypt(url.asText(), id));
    }
    JsonNode headers = webhook.get("headers");
    if (headers instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        String h = a.get(i).asText();
        int colon = h.indexOf(':');
        if (colon > 0) {
          a.set(i, h.substring(0, colon) + ": " + cipher.decrypt(h.substring(colon + 1).strip(), id));
        }
      }
    }
    JsonNode secret = webhook.get("signing_secret");
    if (secret != null && secret.isTextual()) {
      webhook.put("signing_secret", cipher.decrypt(secret.asText(), id));
    }
    SubscriptionSpec spec;
    try {
      spec = SubscriptionJson.parse(json);
    } catch (io.webhookd.ValidationException e) {
      throw new WebhookdException("stored subscription " + id + " is no longer valid: " + e.getMessage(), e);
    }
    return new Subscription(
        id,
        spec,
        rs.getString("owner"),
        rs.getLong("version"),
        Instant.parse(json.path("created_at").asText()),
        Instant.parse(json.path("updated_at").asText()));
  }

  // ---------------------------------------------------------------------------------------------
  // Admin state and health

  @Override
  public OnlineState onlineState() {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT state FROM admin_state WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return OnlineState.initial();
      }
      JsonNode j = SubscriptionJson.readTree(rs.getString(1).getBytes(StandardCharsets.UTF_8));
      return new OnlineState(
          "online".equals(j.path("status").asText()),
          j.path("offline_message").asText(""),
          Instant.parse(j.path("updated_at").asText()));
    } catch (SQLException e) {
      throw failure("read the admin state", e);
    }
  }

  @Override
  public void saveOnlineState(OnlineState state) {
    requireNonNull(state, "state");
    String sql = "UPDATE admin_state SET online = ?, state = ?, updated_at = ? WHERE id = 1";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setBoolean(1, state.online());
      ps.setString(2, SubscriptionJson.toJson(state).toString());
      ps.setObject(3, odt(state.updatedAt()));
      if (ps.executeUpdate() == 0) {
        throw new WebhookdException("the admin_state row is missing; the schema was changed by hand");
      }
    } catch (SQLException e) {
      throw failure("save the admin state", e);
    }
  }

  @Override
  public void saveHealth(String id, HealthDetails health) {
    requireNonNull(health, "health");
    String json = SubscriptionJson.toJson(health).toString();
    String sql =
        switch (dialect) {
          case POSTGRESQL ->
              "INSERT INTO subscription_health (subscription_id, health, snapshot, updated_at)"
                  + " SELECT id, ?, ?, ? FROM subscriptions WHERE id = ?"
                  + " ON CONFLICT (subscription_id) DO UPDATE SET health = EXCLUDED.health,"
                  + " snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at";
          case H2 ->
              "MERGE INTO subscription_health (health, snapshot, updated_at, subscription_id)"
                  + " KEY (subscription_id) SELECT ?, ?, ?, id FROM subscriptions WHERE id = ?";
          case OTHER -> null;
        };
    try (Connection c = dataSource.getConnection()) {
      if (sql == null) {
        saveHealthPortable(c, id, health, json);
        return;
      }
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, health.deliveryHealth().wireName());
        ps.setString(2, json);
        ps.setObject(3, odt(clock.instant()));
        ps.setString(4, id);
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      if (isForeignKeyViolation(e)) {
        return; // deleted meanwhile: like the in-memory store, health of unknown ids is dropped
      }
      throw failure("save the health of subscription " + id, e);
    }
  }

  private void saveHealthPortable(Connection c, String id, HealthDetails health, String json)
      throws SQLException {
    try (PreparedStatement up =
        c.prepareStatement(
            "UPDATE subscription_health SET health = ?, snapshot = ?, updated_at = ? WHERE subscription_id = ?")) {
      up.setString(1, health.deliveryHealth().wireName());
      up.setString(2, json);
      up.setObject(3, odt(clock.instant()));
      up.setString(4, id);
      if (up.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement in =
        c.prepareStatement(
            "INSERT INTO subscription_health (health, snapshot, updated_at, subscription_id)"
                + " SELECT ?, ?, ?, id FROM subscriptions WHERE id = ?")) {
      in.setString(1, health.deliveryHealth().wireName());
      in.setString(2, json);
      in.setObject(3, odt(clock.instant()));
      in.setString(4, id);
      in.executeUpdate();
    } catch (SQLException e) {
      if (!isUniqueViolation(e)) {
        throw e;
      }
      saveHealthPortable(c, id, health, json); // a concurrent insert won: update it
    }
  }

  @Override
  public Optional<HealthDetails> health(String id) {
    String sql = "SELECT snapshot FROM subscription_health WHERE subscription_id = ?";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            SubscriptionJson.parseHealth(
                SubscriptionJson.readTree(rs.getString(1).getBytes(StandardCharsets.UTF_8))));
      }
    } catch (SQLException e) {
      throw failure("read the health of subscription " + id, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Activity and delivery attempts

  @Override
  public void appendActivity(String id, List<ActivityEvent> events, int keep) {
    if (keep < 0) {
      throw new IllegalArgumentException("keep must be at least 0, was " + keep);
    }
    if (events.isEmpty()) {
      return;
    }
    String insertActivity =
        "INSERT INTO activity (subscription_id, event_type, event_at, event)"
            + " SELECT id, ?, ?, ? FROM subscriptions WHERE id = ?";
    String insertAttempt =
        "INSERT INTO delivery_attempts (subscription_id, attempted_at, response_code, batch_size, duration_ms, event)"
            + " SELECT id, ?, ?, ?, ?, ? FROM subscriptions WHERE id = ?";
    int attempts = 0;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ps = c.prepareStatement(insertActivity);
            PreparedStatement pa = c.prepareStatement(insertAttempt)) {
          for (ActivityEvent e : events) {
            String json = SubscriptionJson.toJson(e).toString();
            ps.setString(1, e.type().wireName());
            ps.setObject(2, odt(e.timestamp()));
            ps.setString(3, json);
            ps.setString(4, id);
            ps.addBatch();
            if (e.type() == ActivityEvent.Type.API_CALL) {
              attempts++;
              pa.setObject(1, odt(e.timestamp()));
              setInt(pa, 2, e.responseCode());
              setInt(pa, 3, e.batchSize());
              if (e.durationMillis() == null) {
                pa.setNull(4, Types.BIGINT);
              } else {
                pa.setLong(4, e.durationMillis());
              }
              pa.setString(5, json);
              pa.setString(6, id);
              pa.addBatch();
            }
          }
          ps.executeBatch();
          if (attempts > 0) {
            pa.executeBatch();
          }
        }
        pruneNewest(c, "activity", id, keep);
        if (attempts > 0) {
          AtomicInteger count = attemptWrites.computeIfAbsent(id, k -> new AtomicInteger());
          // Pruning attempts is cheap but not free: do it every PRUNE_EVERY writes.
          int before = count.getAndAdd(attempts);
          if (before == 0 || before / PRUNE_EVERY != (before + attempts) / PRUNE_EVERY) {
            pruneAttempts(c, id);
          }
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      if (isForeignKeyViolation(e)) {
        return; // deleted meanwhile
      }
      throw failure("append activity of subscription " + id, e);
    }
  }

  private static void setInt(PreparedStatement ps, int index, @Nullable Integer value)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.INTEGER);
    } else {
      ps.setInt(index, value);
    }
  }

  /** Deletes all but the newest {@code keep} rows of a subscription in {@code table}. */
  private static void pruneNewest(Connection c, String table, String id, int keep)
      throws SQLException {
    Long boundary = null;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id FROM " + table + " WHERE subscription_id = ? ORDER BY id DESC"
                + " OFFSET ? ROWS FETCH NEXT 1 ROWS ONLY")) {
      ps.setString(1, id);
      ps.setInt(2, keep);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          boundary = rs.getLong(1);
        }
      }
    }
    if (boundary != null) {
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM " + table + " WHERE subscription_id = ? AND id <= ?")) {
        ps.setString(1, id);
        ps.setLong(2, boundary);
        ps.executeUpdate();
      }
    }
  }

  private void pruneAttempts(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM delivery_attempts WHERE subscription_id = ? AND attempted_at < ?")) {
      ps.setString(1, id);
      ps.setObject(2, odt(clock.instant().minus(attemptRetention)));
      ps.executeUpdate();
    }
    pruneNewest(c, "delivery_attempts", id, maxAttemptsPerSubscription);
  }

  @Override
  public List<ActivityEvent> recentActivity(String id, int limit) {
    return events(
        "SELECT event FROM activity WHERE subscription_id = ? ORDER BY id DESC FETCH FIRST ? ROWS ONLY",
        id,
        null,
        limit);
  }

  /**
   * The delivery history: {@code api_call} events of a subscription at or after {@code since},
   * newest first, at most {@code limit}. Kept for {@link Builder#attemptRetention(Duration)} (7 days
   * by default) and at most {@link Builder#maxAttemptsPerSubscription(int)} (10000) per
   * subscription; pruning runs every few writes, so a few more may be returned for a while.
   */
  public List<ActivityEvent> deliveryAttempts(String id, Instant since, int limit) {
    return events(
        "SELECT event FROM delivery_attempts WHERE subscription_id = ? AND attempted_at >= ?"
            + " ORDER BY id DESC FETCH FIRST ? ROWS ONLY",
        id,
        since,
        limit);
  }

  private List<ActivityEvent> events(String sql, String id, @Nullable Instant since, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, id);
      if (since != null) {
        ps.setObject(i++, odt(since));
      }
      ps.setInt(i, limit);
      List<ActivityEvent> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              SubscriptionJson.parseActivity(
                  SubscriptionJson.readTree(rs.getString(1).getBytes(StandardCharsets.UTF_8))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw failure("read the activity of subscription " + id, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Alert claims

  @Override
  public boolean claimAlert(String id, String key, Instant now, Duration minInterval) {
    OffsetDateTime at = odt(now);
    OffsetDateTime threshold = odt(now.minus(minInterval));
    try (Connection c = dataSource.getConnection()) {
      if (dialect == Dialect.POSTGRESQL) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO alert_claims (subscription_id, claim_key, claimed_at) VALUES (?, ?, ?)"
                    + " ON CONFLICT (subscription_id, claim_key) DO UPDATE SET claimed_at = EXCLUDED.claimed_at"
                    + " WHERE alert_claims.claimed_at <= ?")) {
          ps.setString(1, id);
          ps.setString(2, key);
          ps.setObject(3, at);
          ps.setObject(4, threshold);
          return ps.executeUpdate() == 1;
        }
      }
      // An UPDATE re-checks its condition on the latest committed row (row lock), so of two
      // concurrent claimers only one sees the old claim; a missing row is claimed by the one
      // INSERT that does not hit the primary key.
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE alert_claims SET claimed_at = ? WHERE subscription_id = ? AND claim_key = ?"
                  + " AND claimed_at <= ?")) {
        ps.setObject(1, at);
        ps.setString(2, id);
        ps.setString(3, key);
        ps.setObject(4, threshold);
        if (ps.executeUpdate() == 1) {
          return true;
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO alert_claims (subscription_id, claim_key, claimed_at) VALUES (?, ?, ?)")) {
        ps.setString(1, id);
        ps.setString(2, key);
        ps.setObject(3, at);
        ps.executeUpdate();
        return true;
      } catch (SQLException e) {
        if (isUniqueViolation(e)) {
          return false;
        }
        throw e;
      }
    } catch (SQLException e) {
      throw failure("claim alert " + key + " of subscription " + id, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Engines

  @Override
  public void saveEngine(EngineInfo e) {
    requireNonNull(e, "engine");
    try (Connection c = dataSource.getConnection()) {
      String sql =
          switch (dialect) {
            case POSTGRESQL ->
                "INSERT INTO engines (host, started_at, last_seen, subscriptions, id) VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, started_at = EXCLUDED.started_at,"
                    + " last_seen = EXCLUDED.last_seen, subscriptions = EXCLUDED.subscriptions";
            case H2 -> "MERGE INTO engines (host, started_at, last_seen, subscriptions, id) KEY (id) VALUES (?, ?, ?, ?, ?)";
            case OTHER -> "UPDATE engines SET host = ?, started_at = ?, last_seen = ?, subscriptions = ? WHERE id = ?";
          };
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, e.host());
        ps.setObject(2, odt(e.startedAt()));
        ps.setObject(3, odt(e.lastSeen()));
        ps.setInt(4, e.subscriptions());
        ps.setString(5, e.id());
        if (ps.executeUpdate() > 0 || dialect != Dialect.OTHER) {
          return;
        }
      }
      try (PreparedStatement in =
          c.prepareStatement("INSERT INTO engines (host, started_at, last_seen, subscriptions, id) VALUES (?, ?, ?, ?, ?)")) {
        in.setString(1, e.host());
        in.setObject(2, odt(e.startedAt()));
        in.setObject(3, odt(e.lastSeen()));
        in.setInt(4, e.subscriptions());
        in.setString(5, e.id());
        in.executeUpdate();
      } catch (SQLException ex) {
        if (!isUniqueViolation(ex)) {
          throw ex;
        }
        saveEngine(e); // inserted meanwhile by another writer of the same id: update it
      }
    } catch (SQLException ex) {
      throw failure("save engine " + e.id(), ex);
    }
  }

  @Override
  public List<EngineInfo> engines(Instant since) {
    requireNonNull(since, "since");
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT id, host, started_at, last_seen, subscriptions FROM engines WHERE last_seen >= ? ORDER BY id")) {
      ps.setObject(1, odt(since));
      List<EngineInfo> found = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(
              new EngineInfo(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getObject(3, OffsetDateTime.class).toInstant(),
                  rs.getObject(4, OffsetDateTime.class).toInstant(),
                  rs.getInt(5)));
        }
      }
      return found;
    } catch (SQLException e) {
      throw failure("list engines", e);
    }
  }

  @Override
  public void removeEngines(Collection<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM engines WHERE id = ?")) {
      for (String id : ids) {
        ps.setString(1, id);
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw failure("remove engines " + ids, e);
    }
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

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static OffsetDateTime odt(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  private static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  private static boolean isForeignKeyViolation(SQLException e) {
    return "23503".equals(e.getSQLState()) || "23506".equals(e.getSQLState());
  }

  private WebhookdException failure(String what, SQLException e) {
    return new WebhookdException(
        "cannot " + what + " in " + maskedUrl + ": " + e.getMessage() + " (SQL state " + e.getSQLState() + ")", e);
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
      Dialect dialect =
          lower.startsWith("jdbc:h2:") ? Dialect.H2
              : lower.startsWith("jdbc:postgresql:") ? Dialect.POSTGRESQL
              : Dialect.OTHER;
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
        migrate(givenDataSource, masked, schemaHistoryTable, cipher);
        LOG.info("subscription store at {} through the application's DataSource (schema migrated, key {})", masked, cipher.encryptionKeyId());
        return new JdbcSubscriptionStore(
            givenDataSource, null, cipher, dialect, !embedded, clock, attemptRetention, maxAttemptsPerSubscription, masked);
      }
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(url);
      if (username != null) {
        config.setUsername(username);
      }
      if (password != null) {
        config.setPassword(password);
      }
      config.setMaximumPoolSize(maxPoolSize);
      config.setMinimumIdle(Math.min(2, maxPoolSize));
      config.setConnectionTimeout(connectionTimeout.toMillis());
      config.setValidationTimeout(Math.min(connectionTimeout.toMillis(), 5000));
      config.setInitializationFailTimeout(connectionTimeout.toMillis());
      config.setPoolName("webhookd-store");
      config.setExceptionOverrideClassName(EvictBrokenConnections.class.getName());
      if (dialect == Dialect.POSTGRESQL) {
        config.addDataSourceProperty("connectTimeout", Math.max(1, connectionTimeout.toSeconds()));
        config.addDataSourceProperty("ApplicationName", "webhookd");
      }
      HikariDataSource ds;
      try {
        ds = new HikariDataSource(config);
      } catch (RuntimeException e) {
        throw new WebhookdException(
            "cannot connect to the database " + masked + ": " + rootMessage(e, password), sanitized(e, password));
      }
      try {
        migrate(ds, masked, schemaHistoryTable, cipher);
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

    private static void migrate(DataSource ds, String maskedUrl, String historyTable, SecretCipher cipher) {
      Flyway flyway =
          Flyway.configure()
              .dataSource(ds)
              // not db/migration: an application's own Flyway scans that (and its subfolders)
              .locations("classpath:io/webhookd/store/jdbc/migration")
              .javaMigrations(new V2__Encrypt_webhook_urls(cipher))
              .table(historyTable)
              // a schema that already holds an application's tables (but no history of webhookd's)
              // starts from version 0: every webhookd script runs, beside what is there
              .baselineOnMigrate(true)
              .baselineVersion("0")
              .load();
      MigrationVersion newestKnown = null;
      MigrationVersion newestApplied = null;
      for (MigrationInfo m : flyway.info().all()) {
        if (m.getVersion() == null) {
          continue;
        }
        if (m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED) {
          if (newestApplied == null || m.getVersion().compareTo(newestApplied) > 0) {
            newestApplied = m.getVersion();
          }
        } else {
          if (newestKnown == null || m.getVersion().compareTo(newestKnown) > 0) {
            newestKnown = m.getVersion();
          }
        }
      }
      if (newestApplied != null) {
        throw new WebhookdException(
            "the database schema of "
                + maskedUrl
                + " is at version "
                + newestApplied
                + ", newer than this webhookd knows (up to "
                + newestKnown
                + "): upgrade webhookd, or point it at another database");
      }
      try {
        flyway.migrate();
      } catch (RuntimeException e) {
        throw new WebhookdException("cannot migrate the database schema of " + maskedUrl + ": " + e.getMessage(), e);
      }
    }

    private static String rootMessage(Throwable e, @Nullable String password) {
      Throwable t = e;
      while (t.getCause() != null && t.getCause() != t) {
        t = t.getCause();
      }
      String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      return scrub(maskUrl(m), password);
    }

    private static String scrub(String s, @Nullable String password) {
      return password == null || password.isEmpty() ? s : s.replace(password, "****");
    }

    /** A cause that carries no password: the type and scrubbed message of the root cause. */
    private static Throwable sanitized(Throwable e, @Nullable String password) {
      Throwable t = e;
      while (t.getCause() != null && t.getCause() != t) {
        t = t.getCause();
      }
      return new WebhookdException(t.getClass().getName() + ": " + rootMessage(t, password));
    }
  }
}
