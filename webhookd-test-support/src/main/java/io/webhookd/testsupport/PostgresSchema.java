package io.webhookd.testsupport;

/**
 * A schema of its own for one test, in the run's {@link TestPostgres}: {@link #jdbcUrl()} connects
 * with it as the current schema, so tables made through it land there. {@link #close()} drops it
 * with everything in it. Thread-safe.
 */
public final class PostgresSchema implements AutoCloseable {
  private final TestPostgres postgres;
  private final String name;
  private final String jdbcUrl;

  PostgresSchema(TestPostgres postgres, String name, String jdbcUrl) {
    this.postgres = postgres;
    this.name = name;
    this.jdbcUrl = jdbcUrl;
  }

  /** The schema's name. */
  public String name() {
    return name;
  }

  /** A JDBC URL with this schema as {@code currentSchema}, and the user as a parameter. */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** Drops the schema and everything in it; a second call does nothing. */
  @Override
  public void close() {
    postgres.drop(name);
  }

  @Override
  public String toString() {
    return "schema " + name + " of " + postgres;
  }
}
