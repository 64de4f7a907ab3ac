package io.webhookd.store.jdbc;

import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.SubscriptionStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on an embedded H2 file, a new one for each test. */
class H2SubscriptionStoreTest extends SubscriptionStoreContract {
  @TempDir Path dataDir;

  @Override
  protected SubscriptionStore createStore() {
    return JdbcSubscriptionStore.h2(dataDir);
  }
}
