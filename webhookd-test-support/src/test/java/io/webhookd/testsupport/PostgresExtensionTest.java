package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which server the tests probe, and what they get when there is none there. */
class PostgresExtensionTest {
  static final String VAR = PostgresPlan.URL_VARIABLE;

  /** A port on which nothing listens (it did a moment ago, so nothing else has taken it since). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  @DisplayName("the URL: WEBHOOKD_TEST_POSTGRES_URL, else the probe property, else 127.0.0.1:5432 as postgres")
  void whichUrl() {
    assertThat(PostgresExtension.Settings.of(Map.of(), null).url())
        .isEqualTo("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    assertThat(PostgresExtension.Settings.of(Map.of(), " jdbc:postgresql://127.0.0.1:1/x ").url())
        .isEqualTo("jdbc:postgresql://127.0.0.1:1/x");
    PostgresExtension.Settings fromEnv = PostgresExtension.Settings.of(Map.of(VAR, "jdbc:postgresql://db/y"), "jdbc:postgresql://127.0.0.1:1/x");
    assertThat(fromEnv.url()).isEqualTo("jdbc:postgresql://db/y");
    assertThat(fromEnv.requirement().required()).isTrue();
    assertThat(PostgresExtension.Settings.of(Map.of(), "jdbc:postgresql://127.0.0.1:1/x").requirement().required())
        .as("the probe property alone does not make PostgreSQL required")
        .isFalse();
  }

  @Test
  @DisplayName("the probe of a port where nothing listens says the connection was refused")
  void probeOfAFreePort() throws IOException {
    int port = freePort();
    assertThat(PostgresExtension.probe("jdbc:postgresql://127.0.0.1:" + port + "/test?user=postgres"))
        .isEqualTo("Connection to 127.0.0.1:" + port + " refused");
  }

  @Test
  @DisplayName("required and nothing on the port: a failure that names PostgreSQL and the URL, with its password masked")
  void requiredWithoutServerFails() throws IOException {
    String url = "jdbc:postgresql://127.0.0.1:" + freePort() + "/test?user=ci&password=hunter2";
    Outcome<TestPostgres> outcome =
        PostgresExtension.find(new PostgresExtension.Settings(new Requirement(true, "CI=true"), url));
    assertThat(outcome).isInstanceOf(Outcome.Failed.class);
    assertThat(((Outcome.Failed<TestPostgres>) outcome).message())
        .startsWith("PostgreSQL is required (CI=true) but there is none at jdbc:postgresql://127.0.0.1:")
        .contains("password=****")
        .doesNotContain("hunter2");
  }

  @Test
  @DisplayName("optional and nothing on the port: an embedded PostgreSQL that works, or (as root) a skip that says so")
  void optionalWithoutServer() throws IOException {
    String url = "jdbc:postgresql://127.0.0.1:" + freePort() + "/test?user=postgres";
    Outcome<TestPostgres> outcome =
        PostgresExtension.find(new PostgresExtension.Settings(new Requirement(false, "CI is not true"), url));
    String noEmbedded = EmbeddedPostgresServer.unavailableBecause();
    if (noEmbedded != null) {
      assertThat(outcome).isInstanceOf(Outcome.Skipped.class);
      assertThat(((Outcome.Skipped<TestPostgres>) outcome).line())
          .startsWith("PostgreSQL tests skipped: no PostgreSQL at " + TestPostgres.masked(url))
          .contains(noEmbedded);
    } else {
      assertThat(outcome).isInstanceOf(Outcome.Available.class);
      TestPostgres embedded = ((Outcome.Available<TestPostgres>) outcome).service();
      try {
        assertThat(embedded.embedded()).isTrue();
        assertThat(PostgresExtension.probe(embedded.jdbcUrl())).isNull();
      } finally {
        embedded.close();
      }
      assertThat(PostgresExtension.probe(embedded.jdbcUrl())).as("stopped on close").isNotNull();
    }
  }
}
