package io.webhookd.store.jdbc;

import io.webhookd.testsupport.RequiresPostgres;
import io.webhookd.testsupport.TestPostgres;

/**
 * Stores on the run's PostgreSQL (see {@link RequiresPostgres}), each in a schema of its own,
 * because other test runs share the database; the schemas are dropped when the run ends.
 */
final class Postgres {
  private Postgres() {}

  static JdbcSubscriptionStore newStore(TestPostgres postgres, String key, int maxPoolSize) {
    return JdbcSubscriptionStore.builder()
        .jdbcUrl(postgres.newSchema().jdbcUrl())
        .encryptionKey(key)
        .maxPoolSize(maxPoolSize)
        .build();
  }
}
