package io.webhookd.store.jdbc;

import java.util.Locale;
import java.util.Map;

/** The SQL a store speaks, told by the JDBC URL: H2's and PostgreSQL's upserts, or portable SQL. */
enum Dialect {
  H2,
  POSTGRESQL,
  OTHER;

  static Dialect of(String jdbcUrl) {
    String lower = jdbcUrl.toLowerCase(Locale.ROOT);
    return lower.startsWith("jdbc:h2:") ? H2 : lower.startsWith("jdbc:postgresql:") ? POSTGRESQL : OTHER;
  }

  /**
   * The values of the migration scripts' placeholders, what one script needs to say differently
   * per database (those of V4, dead letters): ids that compare byte by byte as Java's String order
   * does, and a text column for a large encrypted message.
   */
  Map<String, String> migrationPlaceholders() {
    return this == POSTGRESQL
        ? Map.of("webhookd_ids_collate", "COLLATE \"C\"", "webhookd_large_text", "TEXT")
        : Map.of("webhookd_ids_collate", "", "webhookd_large_text", "CHARACTER LARGE OBJECT");
  }
}
