package io.webhookd.store.jdbc;

import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.SubscriptionStoreContract;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;

/** The store contract on PostgreSQL, each test in a schema of its own. */
class PostgresSubscriptionStoreTest extends SubscriptionStoreContract {
  static final String KEY = "q2bW1nY0nB1mCkz8m6mYV3kNlq4m0dKX0cJ4q2bW1nY=";
  private static final List<String> SCHEMAS = new CopyOnWriteArrayList<>();

  @Override
  protected SubscriptionStore createStore() {
    return Postgres.newStore(KEY, 4, SCHEMAS);
  }

  @AfterAll
  static void dropSchemas() {
    SCHEMAS.forEach(Postgres::dropSchema);
  }
}
