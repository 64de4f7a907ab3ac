package io.webhookd.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.webhookd.Problem;
import io.webhookd.Subscription;
import io.webhookd.ValidationException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * webhookd's schema beside an application that migrates its own tables with Flyway, on one
 * DataSource (as a Spring Boot application with Flyway and the webhookd starter has): neither
 * migration set sees the other's scripts or history.
 */
class ApplicationFlywayTest {
  @TempDir Path dir;

  @Test
  @DisplayName("an application's Flyway with its defaults (db/migration, flyway_schema_history) and webhookd's store with a history table of its own migrate one database, in either order")
  void applicationFlywayAndStoreShareADataSource() throws Exception {
    try (HikariDataSource app = pool("jdbc:h2:file:" + dir.resolve("app"))) {
      MigrateResult first = applicationFlyway(app).migrate();
      assertThat(first.migrationsExecuted).isEqualTo(1);

      Subscription s = JdbcSubscriptionStoreTest.subscription();
      try (JdbcSubscriptionStore store = store(app)) {
        store.create(s);
      }
      // the application's next start: its Flyway validates its history, finds nothing to do
      assertThat(applicationFlyway(app).migrate().migrationsExecuted).isZero();
      assertThat(versions(app, "flyway_schema_history")).containsExactly("1 application orders");
      // the application's tables were there first: webhookd's history starts at version 0
      assertThat(versions(app, "webhookd_schema_history"))
          .containsExactly("0 << Flyway Baseline >>", "1 webhookd schema", "2 Encrypt webhook urls", "3 engines", "4 dead letters and engine commands");
      try (JdbcSubscriptionStore store = store(app)) {
        assertThat(store.get(s.id())).contains(s);
      }
    }
    try (HikariDataSource app = pool("jdbc:h2:file:" + dir.resolve("store-first"))) {
      try (JdbcSubscriptionStore store = store(app)) {
        store.create(JdbcSubscriptionStoreTest.subscription());
      }
      // webhookd's tables were there first: the application's Flyway needs what Spring Boot calls
      // spring.flyway.baseline-on-migrate=true (and baseline-version=0), as for any non-empty schema
      Flyway late = Flyway.configure().dataSource(app).baselineOnMigrate(true).baselineVersion("0").load();
      assertThat(late.migrate().migrationsExecuted).isEqualTo(1);
      assertThat(versions(app, "flyway_schema_history"))
          .containsExactly("0 << Flyway Baseline >>", "1 application orders");
    }
  }

  @Test
  @DisplayName("a database migrated when the scripts were under db/migration opens as it is: the history records the script's name and checksum, not where it was found")
  void databaseMigratedFromTheOldScriptLocationOpens() throws Exception {
    Path old = Files.createDirectories(dir.resolve("old/db/migration"));
    try (InputStream script =
        JdbcSubscriptionStore.class.getResourceAsStream("migration/V1__webhookd_schema.sql")) {
      assertThat(script).isNotNull();
      Files.copy(script, old.resolve("V1__webhookd_schema.sql"));
    }
    try (HikariDataSource app = pool("jdbc:h2:file:" + dir.resolve("old-db"))) {
      Flyway.configure().dataSource(app).locations("filesystem:" + old).load().migrate();
      Subscription s = JdbcSubscriptionStoreTest.subscription();
      try (JdbcSubscriptionStore store =
          JdbcSubscriptionStore.builder().dataSource(app).encryptionKey(JdbcSubscriptionStoreTest.KEY_A).build()) {
        store.create(s);
        assertThat(store.get(s.id())).contains(s);
      }
      assertThat(versions(app, "flyway_schema_history")).containsExactly("1 webhookd schema", "2 Encrypt webhook urls", "3 engines", "4 dead letters and engine commands");
    }
  }

  @Test
  @DisplayName("a schema history table that is not a plain table name is refused with the value")
  void badHistoryTable() {
    assertThatThrownBy(
            () ->
                JdbcSubscriptionStore.builder()
                    .jdbcUrl("jdbc:h2:mem:x")
                    .schemaHistoryTable("history; DROP TABLE x")
                    .encryptionKey(JdbcSubscriptionStoreTest.KEY_A)
                    .build())
        .isInstanceOfSatisfying(
            ValidationException.class,
            v ->
                assertThat(v.problems())
                    .extracting(Problem::field, Problem::message)
                    .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                            "schemaHistoryTable",
                            "must be a table name of letters, digits and _ (at most 63, not starting with a digit), was \"history; DROP TABLE x\"")));
  }

  private static JdbcSubscriptionStore store(DataSource app) {
    return JdbcSubscriptionStore.builder()
        .dataSource(app)
        .schemaHistoryTable("webhookd_schema_history")
        .encryptionKey(JdbcSubscriptionStoreTest.KEY_A)
        .build();
  }

  private static Flyway applicationFlyway(DataSource app) {
    return Flyway.configure().dataSource(app).load();
  }

  private static List<String> versions(DataSource ds, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT \"version\", \"description\" FROM \"" + table + "\" WHERE \"version\" IS NOT NULL ORDER BY \"installed_rank\"")) {
      while (rs.next()) {
        out.add(rs.getString(1) + " " + rs.getString(2));
      }
    }
    return out;
  }

  private static HikariDataSource pool(String url) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername("sa");
    config.setMaximumPoolSize(4);
    return new HikariDataSource(config);
  }
}
