package io.webhookd.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.SubscriptionStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store contract through a DataSource the application owns (as a Spring Boot application
 * hands over its pool), on an embedded H2 file, a new one for each test.
 */
class DataSourceSubscriptionStoreTest extends SubscriptionStoreContract {
  @TempDir Path dataDir;
  private HikariDataSource applicationPool;

  @Override
  protected SubscriptionStore createStore() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:file:" + dataDir.resolve("app"));
    config.setUsername("sa");
    config.setPoolName("application");
    applicationPool = new HikariDataSource(config);
    return JdbcSubscriptionStore.builder()
        .dataSource(applicationPool)
        .encryptionKey(JdbcSubscriptionStoreTest.KEY_A)
        .build();
  }

  @AfterEach
  void closeApplicationPool() {
    if (applicationPool != null) {
      applicationPool.close();
    }
  }
}
