package io.webhookd.store.jdbc;

import io.webhookd.WebhookdException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Migrates webhookd's schema with Flyway: the scripts under {@code io/webhookd/store/jdbc/migration}
 * (their placeholders set per {@link Dialect}) and the Java migration that encrypts URLs, history in the table the builder names, baseline 0 in
 * a schema that already holds other tables; a schema newer than this webhookd knows is refused.
 */
final class SchemaMigration {
  private SchemaMigration() {}

  static void migrate(
      DataSource ds, String maskedUrl, String historyTable, SecretCipher cipher, Dialect dialect) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(ds)
            // not db/migration: an application's own Flyway scans that (and its subfolders)
            .locations("classpath:io/webhookd/store/jdbc/migration")
            .javaMigrations(new V2__Encrypt_webhook_urls(cipher))
            // what one script needs to say differently per database (see V4)
            .placeholders(dialect.migrationPlaceholders())
            .table(historyTable)
            // a schema that already holds an application's tables (but no history of webhookd's)
            // starts from version 0: every webhookd script runs, beside what is there
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load();
    MigrationVersion newestKnown = null;
    MigrationVersion newestApplied = null;
    for (MigrationInfo m : flyway.info().all()) {
      if (m.getVersion() == null) {
        continue;
      }
      if (m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED) {
        if (newestApplied == null || m.getVersion().compareTo(newestApplied) > 0) {
          newestApplied = m.getVersion();
        }
      } else {
        if (newestKnown == null || m.getVersion().compareTo(newestKnown) > 0) {
          newestKnown = m.getVersion();
        }
      }
    }
    if (newestApplied != null) {
      throw new WebhookdException(
          "the database schema of "
              + maskedUrl
              + " is at version "
              + newestApplied
              + ", newer than this webhookd knows (up to "
              + newestKnown
              + "): upgrade webhookd, or point it at another database");
    }
    try {
      flyway.migrate();
    } catch (RuntimeException e) {
      throw new WebhookdException("cannot migrate the database schema of " + maskedUrl + ": " + e.getMessage(), e);
    }
  }
}
