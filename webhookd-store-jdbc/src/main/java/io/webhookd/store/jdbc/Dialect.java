package io.webhookd.store.jdbc;

import java.util.Locale;

/** The SQL a store speaks, told by the JDBC URL: H2's and PostgreSQL's upserts, or portable SQL. */
enum Dialect {
  H2,
  POSTGRESQL,
  OTHER;

  static Dialect of(String jdbcUrl) {
    String lower = jdbcUrl.toLowerCase(Locale.ROOT);
    return lower.startsWith("jdbc:h2:") ? H2 : lower.startsWith("jdbc:postgresql:") ? POSTGRESQL : OTHER;
  }
}
