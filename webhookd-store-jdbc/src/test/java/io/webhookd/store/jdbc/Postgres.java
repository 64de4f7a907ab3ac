package io.webhookd.store.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * The test PostgreSQL server (127.0.0.1:5432, user postgres, database test, or {@code
 * WEBHOOKD_TEST_JDBC_URL}): each test gets a schema of its own, dropped afterwards, because other
 * test runs share the database.
 */
final class Postgres {
  static final String BASE_URL =
      System.getenv().getOrDefault("WEBHOOKD_TEST_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
  static final String USER = System.getenv().getOrDefault("WEBHOOKD_TEST_JDBC_USER", "postgres");

  private Postgres() {}

  /** Creates a fresh schema and returns its name. */
  static String createSchema() {
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    execute("CREATE SCHEMA " + schema);
    return schema;
  }

  /** A store in a new schema, which is added to {@code schemas} so the caller can drop it. */
  static JdbcSubscriptionStore newStore(String key, int maxPoolSize, java.util.List<String> schemas) {
    String schema = createSchema();
    schemas.add(schema);
    return JdbcSubscriptionStore.builder()
        .jdbcUrl(url(schema))
        .username(USER)
        .encryptionKey(key)
        .maxPoolSize(maxPoolSize)
        .build();
  }

  static String url(String schema) {
    return BASE_URL + (BASE_URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  static void dropSchema(String schema) {
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  static void execute(String sql) {
    try (Connection c = DriverManager.getConnection(BASE_URL, USER, "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + BASE_URL + ": " + e.getMessage(), e);
    }
  }
}
