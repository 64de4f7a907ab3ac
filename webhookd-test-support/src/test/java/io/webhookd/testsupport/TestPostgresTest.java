package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The schemas handed out, on whichever PostgreSQL this run has. */
@RequiresPostgres
class TestPostgresTest {
  private final TestPostgres postgres;

  TestPostgresTest(TestPostgres postgres) {
    this.postgres = postgres;
  }

  @Test
  @DisplayName("each schema is new and is where its URL's tables go; closing drops it with its tables")
  void schemasAreSeparateAndDropped() throws SQLException {
    try (PostgresSchema a = postgres.newSchema();
        PostgresSchema b = postgres.newSchema()) {
      assertThat(a.name()).isNotEqualTo(b.name());
      try (Connection c = DriverManager.getConnection(a.jdbcUrl());
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (v int)");
        s.execute("INSERT INTO t VALUES (7)");
      }
      assertThat(tables(b)).isZero();
      assertThat(tables(a)).isOne();
      a.close();
      assertThat(schemaExists(a.name())).isFalse();
      assertThat(schemaExists(b.name())).isTrue();
      a.close();
    }
  }

  @Test
  @DisplayName("a statement PostgreSQL refuses is an error that names the server")
  void refusedStatement() {
    assertThatThrownBy(() -> postgres.execute("CREATE SCHEMA \"\""))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("PostgreSQL at jdbc:postgresql://");
  }

  private static int tables(PostgresSchema schema) throws SQLException {
    try (Connection c = DriverManager.getConnection(schema.jdbcUrl());
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")) {
      r.next();
      return r.getInt(1);
    }
  }

  private boolean schemaExists(String name) throws SQLException {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl());
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*) FROM information_schema.schemata WHERE schema_name = '" + name + "'")) {
      r.next();
      return r.getInt(1) == 1;
    }
  }
}
