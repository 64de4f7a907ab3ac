package io.webhookd.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.webhookd.ActivityEvent;
import io.webhookd.DeadLetter;
import io.webhookd.spi.EngineCommand;
import io.webhookd.OnlineState;
import io.webhookd.Health;
import io.webhookd.HealthDetails;
import io.webhookd.Problem;
import io.webhookd.RetryAlgorithm;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.ValidationException;
import io.webhookd.WebhookdException;
import io.webhookd.testsupport.RequiresPostgres;
import io.webhookd.testsupport.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the JDBC store adds to the contract: persistence, encryption, schema versions, failures. */
class JdbcSubscriptionStoreTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123Z");
  static final String HEADER_SECRET = "s3cr3t-token-" + UUID.randomUUID();
  static final String URL_SECRET = "url-token-" + UUID.randomUUID();
  static final String URL = "https://hooks.example.com/orders?token=" + URL_SECRET;
  static final String SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwQm9Zc2V0dGVk";
  static final String KEY_A = "q2bW1nY0nB1mCkz8m6mYV3kNlq4m0dKX0cJ4q2bW1nY=";
  static final String KEY_B = "Yk8zN3JqV2tVbkR3cE1zQlRhQzFlSGZ0Z2xXcVpYT0E=";

  @TempDir Path dir;

  static SubscriptionSpec spec() {
    return SubscriptionSpec.builder()
        .name("orders")
        .webhookUrl(URL)
        .header("Authorization", "Bearer " + HEADER_SECRET)
        .header("X-Api-Key", HEADER_SECRET)
        .signingSecret(SIGNING_SECRET)
        .source("orders", "value.amount > `100`")
        .maxBatchInterval(Duration.ofMillis(250))
        .retryAlgorithm(RetryAlgorithm.FIXED_TIME)
        .alertEmails(List.of("ops@example.com"))
        .build();
  }

  static Subscription subscription() {
    return new Subscription(UUID.randomUUID().toString(), spec(), "billing", 1, T0, T0);
  }

  static ActivityEvent apiCall(Instant at, int status) {
    return new ActivityEvent(
        at, ActivityEvent.Type.API_CALL, "POST https://hooks.example.com/orders",
        List.of("Authorization: Bearer ****"), status, "ok", List.of(), null, 3, 12L);
  }

  private JdbcSubscriptionStore h2(String key, String... oldKeys) {
    return JdbcSubscriptionStore.builder()
        .jdbcUrl("jdbc:h2:file:" + dir.resolve("db"))
        .encryptionKey(key)
        .decryptionKeys(List.of(oldKeys))
        .build();
  }

  private static String dump(Connection c, List<String> queries) throws SQLException {
    StringBuilder sb = new StringBuilder();
    try (Statement s = c.createStatement()) {
      for (String q : queries) {
        try (ResultSet rs = s.executeQuery(q)) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            for (int i = 1; i <= md.getColumnCount(); i++) {
              sb.append(rs.getString(i)).append('|');
            }
            sb.append('\n');
          }
        }
      }
    }
    return sb.toString();
  }

  private static void fill(JdbcSubscriptionStore store, Subscription s) {
    store.create(s);
    store.saveHealth(s.id(), HealthDetails.initial(Health.HEALTHY, T0));
    store.appendActivity(s.id(), List.of(apiCall(T0, 200)), 10);
    store.claimAlert(s.id(), "unhealthy", T0, Duration.ofMinutes(5));
    store.saveOnlineState(new OnlineState(false, "maintenance", T0));
    store.addDeadLetters(List.of(deadLetter(s.id(), "0000000000000001")));
  }

  /** The customer data in {@link #deadLetter}'s message, which the store encrypts. */
  static final String MESSAGE_SECRET = "card-4111-" + UUID.randomUUID();

  static DeadLetter deadLetter(String subscriptionId, String id) {
    String message = "{\"topic\":\"orders\",\"partition\":0,\"offset\":7,\"timestamp\":1772359200123,"
        + "\"key\":\"o-1\",\"value\":{\"card\":\"" + MESSAGE_SECRET + "\"},\"headers\":{}}";
    return new DeadLetter(id, subscriptionId, "orders", 0, 7, T0, message, 400, "HTTP 400 Bad Request", 3,
        "batch-1", DeadLetter.RETRIES_EXHAUSTED, T0.plusSeconds(30));
  }

  @Test
  @DisplayName("closing the H2 store and opening the same directory brings everything back")
  void restartKeepsEverything() {
    Subscription s = subscription();
    HealthDetails health =
        new HealthDetails(Health.UNHEALTHY, T0, T0.minusSeconds(5), T0, 2, 503, "HTTP 503", 10, 2,
            "unhealthy alert sent", T0, true);
    OnlineState offline = new OnlineState(false, "upgrade", T0.plusSeconds(1));
    ActivityEvent created = ActivityEvent.stateChange(T0, ActivityEvent.Type.ACTIVE, "created");
    // Recent, so that the 7-day retention of delivery attempts keeps it.
    ActivityEvent call = apiCall(Instant.now().truncatedTo(ChronoUnit.MILLIS), 503);
    DeadLetter letter = deadLetter(s.id(), "00000000000a");
    EngineCommand hold = new EngineCommand("c-1", s.id(), EngineCommand.Kind.HOLD, null, T0, T0.plusSeconds(60), null);
    String keyId;
    try (JdbcSubscriptionStore store = JdbcSubscriptionStore.h2(dir)) {
      keyId = store.encryptionKeyId();
      store.create(s);
      store.saveHealth(s.id(), health);
      store.appendActivity(s.id(), List.of(created, call), 10);
      store.saveOnlineState(offline);
      store.addDeadLetters(List.of(letter));
      store.addCommand(hold);
    }

    try (JdbcSubscriptionStore store = JdbcSubscriptionStore.h2(dir)) {
      assertThat(store.encryptionKeyId()).isEqualTo(keyId);
      assertThat(store.list()).containsExactly(s);
      assertThat(store.health(s.id())).contains(health);
      assertThat(store.recentActivity(s.id(), 10)).containsExactly(call, created);
      assertThat(store.onlineState()).isEqualTo(offline);
      assertThat(store.deliveryAttempts(s.id(), T0.minusSeconds(1), 10)).containsExactly(call);
      assertThat(store.deadLetters(s.id(), null, 10).deadLetters()).containsExactly(letter);
      assertThat(store.pendingCommands(T0)).containsExactly(hold);
    }
  }

  @Test
  @DisplayName("the H2 key file is created once, owner-only, beside the database")
  void keyFileIsOwnerOnly() throws Exception {
    try (JdbcSubscriptionStore store = JdbcSubscriptionStore.h2(dir)) {
      assertThat(store.isShared()).isFalse();
    }
    Path keyFile = dir.resolve("webhookd.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
  }

  @Test
  @DisplayName("an H2 dump of every table holds no secret in clear text")
  void noClearTextSecretsInH2Dump() throws Exception {
    try (JdbcSubscriptionStore store = JdbcSubscriptionStore.h2(dir)) {
      fill(store, subscription());
      String dump;
      try (Connection c = store.dataSource().getConnection()) {
        dump = dump(c, List.of("SCRIPT"));
      }
      assertThat(dump).contains("INSERT INTO \"PUBLIC\".\"SUBSCRIPTIONS\"").contains("INSERT INTO \"PUBLIC\".\"DEAD_LETTERS\"").contains("enc:v1:" + store.encryptionKeyId());
      assertThat(dump).doesNotContain(HEADER_SECRET).doesNotContain(SIGNING_SECRET.substring(6)).doesNotContain(URL_SECRET)
          .doesNotContain(MESSAGE_SECRET);
    }
  }

  @Test
  @RequiresPostgres
  @DisplayName("a PostgreSQL dump of every table holds no secret in clear text")
  void noClearTextSecretsInPostgresDump(TestPostgres postgres) throws Exception {
    try (JdbcSubscriptionStore store = Postgres.newStore(postgres, KEY_A, 9)) {
      assertThat(store.isShared()).isTrue();
      fill(store, subscription());
      List<String> queries = new ArrayList<>();
      for (String t : List.of("subscriptions", "admin_state", "subscription_health", "activity",
          "delivery_attempts", "alert_claims", "dead_letters", "engine_commands", "flyway_schema_history")) {
        queries.add("SELECT row_to_json(t)::text FROM " + t + " t");
      }
      String dump;
      try (Connection c = store.dataSource().getConnection()) {
        dump = dump(c, queries);
      }
      assertThat(dump).contains("enc:v1:").contains("maintenance").contains("HTTP 400 Bad Request");
      assertThat(dump).doesNotContain(HEADER_SECRET).doesNotContain(SIGNING_SECRET.substring(6)).doesNotContain(URL_SECRET)
          .doesNotContain(MESSAGE_SECRET);
    }
  }

  @Test
  @DisplayName("on the application's DataSource: the schema is migrated through it, the data outlives the store, and closing the store leaves the DataSource open")
  void storeOnTheApplicationsDataSource() throws Exception {
    Subscription s = subscription();
    try (HikariDataSource app = applicationPool("jdbc:h2:file:" + dir.resolve("app"))) {
      try (JdbcSubscriptionStore store =
          JdbcSubscriptionStore.builder().dataSource(app).encryptionKey(KEY_A).build()) {
        assertThat(store.dataSource()).isSameAs(app);
        assertThat(store.isShared()).isFalse();
        assertThat(store.jdbcUrl()).startsWith("jdbc:h2:file:");
        fill(store, s);
      }
      assertThat(app.isClosed()).isFalse();
      try (Connection c = app.getConnection();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM subscriptions")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(1);
      }
      try (JdbcSubscriptionStore again =
          JdbcSubscriptionStore.builder().dataSource(app).encryptionKey(KEY_A).build()) {
        assertThat(again.get(s.id())).contains(s);
        assertThat(again.onlineState().offlineMessage()).isEqualTo("maintenance");
      }
    }
    // the same database through a URL: the store's own pool finds what the DataSource wrote
    try (JdbcSubscriptionStore byUrl =
        JdbcSubscriptionStore.builder()
            .jdbcUrl("jdbc:h2:file:" + dir.resolve("app"))
            .username("sa")
            .encryptionKey(KEY_A)
            .build()) {
      assertThat(byUrl.get(s.id())).contains(s);
    }
  }

  @Test
  @RequiresPostgres
  @DisplayName("on the application's PostgreSQL DataSource the store is shared, as with a PostgreSQL URL")
  void storeOnTheApplicationsPostgresDataSource(TestPostgres postgres) {
    try (HikariDataSource app = applicationPool(postgres.newSchema().jdbcUrl());
        JdbcSubscriptionStore store =
            JdbcSubscriptionStore.builder().dataSource(app).encryptionKey(KEY_A).build()) {
      assertThat(store.isShared()).isTrue();
      Subscription s = subscription();
      store.create(s);
      assertThat(store.get(s.id())).contains(s);
    }
  }

  @Test
  @DisplayName("a DataSource with a URL, credentials or pool settings of the store's own pool is refused, every problem at once")
  void dataSourceExcludesTheStoresOwnPoolSettings() {
    try (HikariDataSource app = applicationPool("jdbc:h2:mem:" + UUID.randomUUID())) {
      assertThatThrownBy(
              () ->
                  JdbcSubscriptionStore.builder()
                      .dataSource(app)
                      .jdbcUrl("jdbc:h2:mem:other;PASSWORD=hunter2")
                      .username("sa")
                      .maxPoolSize(5)
                      .encryptionKey(KEY_A)
                      .build())
          .isInstanceOfSatisfying(
              ValidationException.class,
              v -> {
                assertThat(v.problems())
                    .extracting(Problem::field)
                    .containsExactly("jdbcUrl", "username", "maxPoolSize");
                assertThat(v.getMessage()).doesNotContain("hunter2");
              });
      assertThat(app.isClosed()).isFalse();
    }
  }

  @Test
  @DisplayName("an in-memory H2 DataSource needs a configured key, as an in-memory H2 URL does")
  void dataSourceWithoutAKey() {
    try (HikariDataSource app = applicationPool("jdbc:h2:mem:" + UUID.randomUUID())) {
      assertThatThrownBy(() -> JdbcSubscriptionStore.builder().dataSource(app).build())
          .isInstanceOf(WebhookdException.class)
          .hasMessageContaining("an encryption key is required for jdbc:h2:mem:");
    }
  }

  private static HikariDataSource applicationPool(String url) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (url.startsWith("jdbc:h2:")) {
      config.setUsername("sa");
    }
    config.setMaximumPoolSize(4);
    config.setPoolName("application");
    return new HikariDataSource(config);
  }

  @Test
  @DisplayName("key rotation: data written with key A reads with B as the encryption key and A as an old key")
  void keyRotation() {
    Subscription s = subscription();
    String idA;
    try (JdbcSubscriptionStore store = h2(KEY_A)) {
      idA = store.encryptionKeyId();
      store.create(s);
      store.addDeadLetters(List.of(deadLetter(s.id(), "00000000000a")));
    }
    try (JdbcSubscriptionStore store = h2(KEY_B)) {
      assertThatThrownBy(() -> store.get(s.id()))
          .isInstanceOf(WebhookdException.class)
          .hasMessageContaining("encrypted with key " + idA)
          .hasMessageContaining("not configured");
    }
    try (JdbcSubscriptionStore store = h2(KEY_B, KEY_A)) {
      assertThat(store.encryptionKeyId()).isNotEqualTo(idA);
      assertThat(store.get(s.id())).contains(s);
      assertThat(store.reencryptAll()).isEqualTo(1);
      // every secret, the URL too, is now under key B
      assertThat(rawSpec(store, s.id())).doesNotContain("enc:v1:" + idA).doesNotContain(URL_SECRET);
      // and so is every dead letter's message
      assertThat(rawMessage(store, "00000000000a")).startsWith("enc:v1:" + store.encryptionKeyId() + ":");
    }
    try (JdbcSubscriptionStore store = h2(KEY_B)) {
      assertThat(store.get(s.id())).contains(s);
      assertThat(store.deadLetters(s.id(), List.of("00000000000a"))).containsExactly(deadLetter(s.id(), "00000000000a"));
    }
  }

  private static String rawMessage(JdbcSubscriptionStore store, String id) {
    try (Connection c = store.dataSource().getConnection();
        java.sql.PreparedStatement ps = c.prepareStatement("SELECT message FROM dead_letters WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("dead letter %s", id).isTrue();
        return rs.getString(1);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static String rawSpec(JdbcSubscriptionStore store, String id) {
    try (Connection c = store.dataSource().getConnection();
        java.sql.PreparedStatement ps = c.prepareStatement("SELECT spec FROM subscriptions WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("row %s", id).isTrue();
        return rs.getString(1);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Turns the database back into what schema version 1 wrote: the URL of the row in clear (header
   * values and the signing secret were already encrypted then), and no migration after 1 recorded.
   */
  private static void backToVersion1(JdbcSubscriptionStore store, String id, String plainUrl) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode json =
        (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(rawSpec(store, id));
    ((com.fasterxml.jackson.databind.node.ObjectNode) json.path("destination").path("webhook")).put("url", plainUrl);
    try (Connection c = store.dataSource().getConnection();
        java.sql.PreparedStatement ps = c.prepareStatement("UPDATE subscriptions SET spec = ? WHERE id = ?");
        Statement st = c.createStatement()) {
      ps.setString(1, json.toString());
      ps.setString(2, id);
      assertThat(ps.executeUpdate()).isEqualTo(1);
      // and none of the later ones: their tables go, and so do their rows in the history
      st.executeUpdate("DROP TABLE dead_letters");
      st.executeUpdate("DROP TABLE engine_commands");
      st.executeUpdate("DROP TABLE engines");
      assertThat(st.executeUpdate("DELETE FROM \"flyway_schema_history\" WHERE \"version\" <> '1'")).isEqualTo(3);
    }
  }

  @Test
  @DisplayName("H2: a database of schema 1 with URLs in clear is migrated: the URL is encrypted and reads back")
  void plainUrlsAreEncryptedByTheMigrationH2() throws Exception {
    Subscription s = subscription();
    try (JdbcSubscriptionStore store = h2(KEY_A)) {
      store.create(s);
      backToVersion1(store, s.id(), URL);
      assertThat(rawSpec(store, s.id())).contains(URL_SECRET);
      // read as it is while still in clear (a row an older server wrote)
      assertThat(store.get(s.id())).contains(s);
    }
    try (JdbcSubscriptionStore store = h2(KEY_A)) {
      assertThat(rawSpec(store, s.id())).doesNotContain(URL_SECRET).doesNotContain("hooks.example.com");
      assertThat(store.get(s.id())).contains(s);
    }
  }

  @Test
  @RequiresPostgres
  @DisplayName("PostgreSQL: a database of schema 1 with URLs in clear is migrated: the URL is encrypted and reads back")
  void plainUrlsAreEncryptedByTheMigrationPostgres(TestPostgres postgres) throws Exception {
    Subscription s = subscription();
    String url = postgres.newSchema().jdbcUrl();
    java.util.function.Supplier<JdbcSubscriptionStore> open =
        () -> JdbcSubscriptionStore.builder().jdbcUrl(url).encryptionKey(KEY_A).build();
    try (JdbcSubscriptionStore store = open.get()) {
      store.create(s);
      backToVersion1(store, s.id(), URL);
      assertThat(rawSpec(store, s.id())).contains(URL_SECRET);
    }
    try (JdbcSubscriptionStore store = open.get()) {
      assertThat(rawSpec(store, s.id())).doesNotContain(URL_SECRET);
      assertThat(store.get(s.id())).contains(s);
    }
  }

  @Test
  @DisplayName("a schema newer than this webhookd is refused with a clear message; the data is untouched")
  void newerSchemaIsRefused() throws Exception {
    Subscription s = subscription();
    try (JdbcSubscriptionStore store = JdbcSubscriptionStore.h2(dir)) {
      store.create(s);
      try (Connection c = store.dataSource().getConnection();
          Statement st = c.createStatement()) {
        st.executeUpdate(
            "INSERT INTO \"flyway_schema_history\" (\"installed_rank\", \"version\", \"description\", \"type\","
                + " \"script\", \"checksum\", \"installed_by\", \"execution_time\", \"success\")"
                + " VALUES (99, '99', 'from the future', 'SQL', 'V99__from_the_future.sql', 1, 'sa', 1, TRUE)");
      }
    }

    assertThatThrownBy(() -> JdbcSubscriptionStore.h2(dir))
        .isInstanceOf(WebhookdException.class)
        .hasMessageContaining("schema")
        .hasMessageContaining("at version 99, newer than this webhookd knows (up to 4)");
  }

  @Test
  @DisplayName("an unreachable database fails fast with the URL, password masked, and never the password")
  void unreachableDatabase() {
    WebhookdException e =
        catchThrowableOfType(
            WebhookdException.class,
            () ->
                JdbcSubscriptionStore.builder()
                    .jdbcUrl("jdbc:postgresql://127.0.0.1:1/x?user=app&password=hunter2")
                    .password("hunter2")
                    .encryptionKey(KEY_A)
                    .build());

    assertThat(e).isNotNull();
    System.out.println("unreachable database: " + e.getMessage());
    assertThat(e.getMessage())
        .startsWith("cannot connect to the database jdbc:postgresql://127.0.0.1:1/x?user=app&password=****: ");
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain("hunter2");
    }
  }

  @Test
  @DisplayName("a shared database needs a configured key, and bad settings are all reported at once")
  void settingsAreValidated() {
    assertThatThrownBy(() -> JdbcSubscriptionStore.builder().jdbcUrl("jdbc:postgresql://db/x").build())
        .isInstanceOf(WebhookdException.class)
        .hasMessageContaining("an encryption key is required for jdbc:postgresql://db/x");
    assertThatThrownBy(
            () ->
                JdbcSubscriptionStore.builder()
                    .jdbcUrl("postgres://db")
                    .maxPoolSize(0)
                    .attemptRetention(Duration.ZERO)
                    .build())
        .isInstanceOfSatisfying(
            ValidationException.class,
            v ->
                assertThat(v.problems())
                    .extracting(Problem::field)
                    .containsExactly("jdbcUrl", "maxPoolSize", "attemptRetention"));
    assertThatThrownBy(() -> JdbcSubscriptionStore.builder().jdbcUrl("jdbc:h2:mem:x").encryptionKey("c2hvcnQ=").build())
        .isInstanceOf(WebhookdException.class)
        .hasMessage("encryptionKey must be base64 of 32 bytes, was 5 bytes");
  }

  @Test
  @DisplayName("H2: concurrent claims of a key whose last claim has expired give exactly one true, round after round")
  void concurrentClaimsOverAnExpiredClaimH2() throws Exception {
    try (JdbcSubscriptionStore store = h2(KEY_A)) {
      assertOneWinnerPerRound(store);
    }
  }

  @Test
  @RequiresPostgres
  @DisplayName("PostgreSQL: concurrent claims of a key whose last claim has expired give exactly one true, round after round")
  void concurrentClaimsOverAnExpiredClaimPostgres(TestPostgres postgres) throws Exception {
    try (JdbcSubscriptionStore store = Postgres.newStore(postgres, KEY_A, 9)) {
      assertOneWinnerPerRound(store);
    }
  }

  private static void assertOneWinnerPerRound(JdbcSubscriptionStore store) throws Exception {
    String id = UUID.randomUUID().toString();
    Duration interval = Duration.ofMinutes(5);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 10; round++) {
        Instant at = T0.plus(interval.multipliedBy(round));
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          results.add(
              pool.submit(
                  () -> {
                    go.await();
                    return store.claimAlert(id, "unhealthy", at, interval);
                  }));
        }
        go.countDown();
        int won = 0;
        for (Future<Boolean> f : results) {
          won += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(won).as("winners of round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("delivery attempts are recorded from api_call activity and bounded by age and by count")
  void deliveryAttemptsAreBounded() {
    Instant now = T0.plus(Duration.ofDays(8));
    try (JdbcSubscriptionStore store =
        JdbcSubscriptionStore.builder()
            .jdbcUrl("jdbc:h2:file:" + dir.resolve("db"))
            .encryptionKey(KEY_A)
            .clock(Clock.fixed(now, ZoneOffset.UTC))
            .maxAttemptsPerSubscription(5)
            .build()) {
      Subscription s = subscription();
      store.create(s);
      ActivityEvent old = apiCall(T0, 200);
      ActivityEvent recent = apiCall(now.minusSeconds(60), 200);
      ActivityEvent state = ActivityEvent.stateChange(now, ActivityEvent.Type.INACTIVE, "offline");
      store.appendActivity(s.id(), List.of(old, old, recent, state), 100);

      assertThat(store.deliveryAttempts(s.id(), Instant.EPOCH, 100)).containsExactly(recent);
      assertThat(store.recentActivity(s.id(), 100)).containsExactly(state, recent, old, old);

      List<ActivityEvent> many = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        many.add(apiCall(now.plusMillis(i), 200 + i % 3));
      }
      store.appendActivity(s.id(), many, 100);
      assertThat(store.deliveryAttempts(s.id(), Instant.EPOCH, 100)).containsExactlyElementsOf(
          List.of(many.get(63), many.get(62), many.get(61), many.get(60), many.get(59)));
      assertThat(store.deliveryAttempts(s.id(), now.plusMillis(62), 100)).hasSize(2);
    }
  }
}
