package io.webhookd.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.webhookd.WebhookdException;
import io.webhookd.store.jdbc.internal.EvictBrokenConnections;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The HikariCP pool a store makes for itself from a JDBC URL. A failure to connect reads with the
 * URL masked and the password scrubbed from every message, the cause's too.
 */
final class OwnPool {
  private OwnPool() {}

  static HikariDataSource open(
      String url, @Nullable String username, @Nullable String password, int maxPoolSize, Duration connectionTimeout,
      Dialect dialect, String masked) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (username != null) {
      config.setUsername(username);
    }
    if (password != null) {
      config.setPassword(password);
    }
    config.setMaximumPoolSize(maxPoolSize);
    config.setMinimumIdle(Math.min(2, maxPoolSize));
    config.setConnectionTimeout(connectionTimeout.toMillis());
    config.setValidationTimeout(Math.min(connectionTimeout.toMillis(), 5000));
    config.setInitializationFailTimeout(connectionTimeout.toMillis());
    config.setPoolName("webhookd-store");
    config.setExceptionOverrideClassName(EvictBrokenConnections.class.getName());
    if (dialect == Dialect.POSTGRESQL) {
      config.addDataSourceProperty("connectTimeout", Math.max(1, connectionTimeout.toSeconds()));
      config.addDataSourceProperty("ApplicationName", "webhookd");
    }
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new WebhookdException(
          "cannot connect to the database " + masked + ": " + rootMessage(e, password), sanitized(e, password));
    }
    return ds;
  }

  private static String rootMessage(Throwable e, @Nullable String password) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return scrub(JdbcSubscriptionStore.maskUrl(m), password);
  }

  private static String scrub(String s, @Nullable String password) {
    return password == null || password.isEmpty() ? s : s.replace(password, "****");
  }

  /** A cause that carries no password: the type and scrubbed message of the root cause. */
  private static Throwable sanitized(Throwable e, @Nullable String password) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return new WebhookdException(t.getClass().getName() + ": " + rootMessage(t, password));
  }
}
