package io.webhookd.server;

import io.webhookd.WebhookdException;
import io.webhookd.alert.smtp.SmtpAlertChannel;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.http.apache.ApacheHttpDestination;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the adapters the configuration asks for: the JDBC store (H2 under the data dir by
 * default), the JDK HTTP transport with its SSRF guard, and SMTP alerts.
 */
final class Adapters {
  private static final Logger log = LoggerFactory.getLogger(Adapters.class);

  private Adapters() {}

  /**
   * The H2 file {@code {dataDir}/webhookd.mv.db} when no JDBC URL is configured; otherwise that
   * database, with the key that encrypts stored secrets from {@code
   * WEBHOOKD_JDBC_ENCRYPTION_KEY} or, when unset, the key file {@code {dataDir}/webhookd.key}.
   */
  static SubscriptionStore store(ServerConfig config, Path dataDir) {
    try {
      if (config.jdbcUrl() == null) {
        log.info("store: H2 database under {}", dataDir);
        return JdbcSubscriptionStore.h2(dataDir);
      }
      JdbcSubscriptionStore.Builder b =
          JdbcSubscriptionStore.builder()
              .jdbcUrl(config.jdbcUrl())
              .username(config.jdbcUser())
              .password(config.jdbcPassword());
      String key = config.environment().get("WEBHOOKD_JDBC_ENCRYPTION_KEY");
      if (key != null && !key.isBlank()) {
        b.encryptionKey(key.trim());
      } else {
        b.keyFile(dataDir.resolve("webhookd.key"));
      }
      return b.build();
    } catch (io.webhookd.ValidationException e) {
      throw new ConfigException(e.problems().stream().map(p -> "WEBHOOKD_JDBC_*: " + p).toList());
    } catch (WebhookdException e) {
      throw new IllegalStateException("the database cannot be opened: " + e.getMessage(), e);
    }
  }

  /**
   * The HTTP transport {@code WEBHOOKD_HTTP_CLIENT} names (Apache by default: the lower latency
   * tail and CPU per request in BENCHMARKS.md); unless {@code
   * WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS} is true either refuses webhook URLs that resolve to
   * loopback, private or link-local addresses (SSRF guard).
   */
  static WebhookDestination destination(ServerConfig config) {
    if (config.allowPrivateDestinations()) {
      log.warn("WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS=true: webhooks may target loopback and private addresses");
    }
    return switch (config.httpClient()) {
      case JDK -> JdkHttpDestination.builder().allowPrivateDestinations(config.allowPrivateDestinations()).build();
      case APACHE -> ApacheHttpDestination.builder().allowPrivateDestinations(config.allowPrivateDestinations()).build();
    };
  }

  /** SMTP when {@code WEBHOOKD_SMTP_HOST} is set; otherwise alerts are logged. */
  static AlertChannel alerts(ServerConfig config) {
    try {
      Optional<SmtpAlertChannel> smtp = SmtpAlertChannel.fromEnvironment(config.environment());
      if (smtp.isPresent()) {
        log.info("alerts: mailed through {}", config.environment().get("WEBHOOKD_SMTP_HOST"));
        return smtp.get();
      }
    } catch (IllegalArgumentException | WebhookdException e) {
      throw new ConfigException("WEBHOOKD_SMTP_*: " + e.getMessage());
    }
    log.info("alerts: logged (set WEBHOOKD_SMTP_HOST to mail them)");
    return AlertChannel.logging();
  }
}
