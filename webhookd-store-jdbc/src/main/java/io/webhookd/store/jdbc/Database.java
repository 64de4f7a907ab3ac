package io.webhookd.store.jdbc;

import io.webhookd.WebhookdException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The database the tables of a store live in: where connections come from, the dialect, and how a
 * failure reads (what could not be done, the URL masked, the SQL state). Thread-safe.
 */
record Database(DataSource dataSource, Dialect dialect, String maskedUrl) {
  Connection connect() throws SQLException {
    return dataSource.getConnection();
  }

  WebhookdException failure(String what, SQLException e) {
    return new WebhookdException(
        "cannot " + what + " in " + maskedUrl + ": " + e.getMessage() + " (SQL state " + e.getSQLState() + ")", e);
  }

  static OffsetDateTime odt(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, OffsetDateTime.class).toInstant();
  }

  static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  static boolean isForeignKeyViolation(SQLException e) {
    return "23503".equals(e.getSQLState()) || "23506".equals(e.getSQLState());
  }

  static void setInt(PreparedStatement ps, int index, @Nullable Integer value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.INTEGER);
    } else {
      ps.setInt(index, value);
    }
  }
}
