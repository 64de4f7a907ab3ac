package io.webhookd.store.jdbc;

import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.SubscriptionStoreContract;
import io.webhookd.testsupport.RequiresPostgres;
import io.webhookd.testsupport.TestPostgres;

/** The store contract on PostgreSQL, each store in a schema of its own. */
@RequiresPostgres
class PostgresSubscriptionStoreTest extends SubscriptionStoreContract {
  static final String KEY = "q2bW1nY0nB1mCkz8m6mYV3kNlq4m0dKX0cJ4q2bW1nY=";
  private final TestPostgres postgres;

  PostgresSubscriptionStoreTest(TestPostgres postgres) {
    this.postgres = postgres;
  }

  @Override
  protected SubscriptionStore createStore() {
    return Postgres.newStore(postgres, KEY, 4);
  }
}
