package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * The annotation end to end, with the probe pointed at a port where nothing listens: whatever this
 * machine is, a class that needs PostgreSQL is never reported as passed without one.
 */
class RequiresPostgresTest {
  static final List<String> USED = new CopyOnWriteArrayList<>();

  @Test
  @DisplayName("no server on the probed port: skipped with the line, failed naming PostgreSQL, or run on another (embedded or WEBHOOKD_TEST_POSTGRES_URL) server")
  void neverPassesWithoutPostgres() throws IOException {
    String url = "jdbc:postgresql://127.0.0.1:" + PostgresExtensionTest.freePort() + "/test?user=postgres";
    USED.clear();
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(NeedsPostgres.class))
            .configurationParameter(PostgresExtension.DEFAULT_URL_PROPERTY, url)
            .configurationParameter(ServiceExtension.ANNOUNCE_PROPERTY, "false")
            .execute();
    PostgresExtension.Settings settings = PostgresExtension.Settings.of(System.getenv(), url);
    boolean required = settings.requirement().required();
    if (!settings.url().equals(url)) {
      // WEBHOOKD_TEST_POSTGRES_URL names a server, which is required and used instead
      results.testEvents().assertStatistics(s -> s.succeeded(1));
      assertThat(USED).containsExactly(settings.url());
    } else if (required) {
      results.containerEvents().assertThatEvents()
          .haveExactly(1, event(container(NeedsPostgres.class),
              finishedWithFailure(message(m -> m.startsWith("PostgreSQL is required (CI=true) but there is none at " + TestPostgres.masked(url))))));
      assertThat(USED).isEmpty();
    } else if (EmbeddedPostgresServer.unavailableBecause() != null) {
      results.containerEvents().assertThatEvents()
          .haveExactly(1, event(container(NeedsPostgres.class),
              skippedWithReason(r -> r.startsWith("PostgreSQL tests skipped: no PostgreSQL at " + TestPostgres.masked(url)))));
      assertThat(USED).isEmpty();
    } else {
      results.testEvents().assertStatistics(s -> s.succeeded(1));
      assertThat(USED).hasSize(1).doesNotContain(url);
    }
  }

  @RequiresPostgres
  static class NeedsPostgres {
    @Test
    void uses(TestPostgres postgres) {
      USED.add(postgres.jdbcUrl());
    }
  }
}
