package io.webhookd.testsupport;

import io.webhookd.Masking;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL server of a test run (see {@link RequiresPostgres} for which one): each test
 * takes a {@link #newSchema() schema of its own}, since other test runs may share the server's
 * database at the same time. Thread-safe.
 */
public final class TestPostgres {
  private final String jdbcUrl;
  private final boolean embedded;
  private final @Nullable AutoCloseable server;
  private final Set<String> schemas = ConcurrentHashMap.newKeySet();

  TestPostgres(String jdbcUrl, boolean embedded, @Nullable AutoCloseable server) {
    this.jdbcUrl = jdbcUrl;
    this.embedded = embedded;
    this.server = server;
  }

  /** The database's JDBC URL, with the user (and any password) as parameters. */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** Whether this is an embedded server started for this run, rather than a running one. */
  public boolean embedded() {
    return embedded;
  }

  /**
   * Creates a schema with a new random name. Schemas not {@link PostgresSchema#close() closed} by
   * the test are dropped when the test run ends.
   *
   * @throws IllegalStateException naming the server when PostgreSQL refuses
   */
  public PostgresSchema newSchema() {
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    execute("CREATE SCHEMA " + name);
    schemas.add(name);
    return new PostgresSchema(this, name, jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + name);
  }

  void drop(String schema) {
    if (schemas.remove(schema)) {
      execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  /** Runs one statement in the database. */
  void execute(String sql) {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + masked(jdbcUrl) + ": " + e.getMessage(), e);
    }
  }

  /** Drops the schemas still there and stops an embedded server. */
  void close() {
    try {
      if (server != null) {
        server.close();
      } else {
        for (String schema : List.copyOf(schemas)) {
          drop(schema);
        }
      }
    } catch (Exception e) {
      System.err.println("could not clean up " + this + ": " + e);
    }
  }

  /** The JDBC URL with any password masked, for messages. */
  static String masked(String jdbcUrl) {
    if (!jdbcUrl.startsWith("jdbc:")) {
      return jdbcUrl;
    }
    try {
      return "jdbc:" + Masking.maskUrl(URI.create(jdbcUrl.substring("jdbc:".length())));
    } catch (IllegalArgumentException e) {
      return "jdbc:" + Masking.MASK;
    }
  }

  @Override
  public String toString() {
    return (embedded ? "embedded PostgreSQL at " : "PostgreSQL at ") + masked(jdbcUrl);
  }
}
