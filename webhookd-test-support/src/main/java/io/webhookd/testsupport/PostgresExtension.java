package io.webhookd.testsupport;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The JUnit 5 extension behind {@link RequiresPostgres}: finds the server (or starts an embedded
 * one) once per JVM and settings, and applies {@link PostgresPlan}'s decision.
 */
final class PostgresExtension extends ServiceExtension<TestPostgres> {
  /**
   * The system property (or JUnit configuration parameter) with the JDBC URL probed when {@code
   * WEBHOOKD_TEST_POSTGRES_URL} is not set; unlike that variable it does not make PostgreSQL
   * required. For trying the suite without a server while one runs: point it at a free port.
   */
  static final String DEFAULT_URL_PROPERTY = "webhookd.test.postgres.default-url";

  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresExtension.class);
  private static final Map<Settings, Outcome<TestPostgres>> OUTCOMES = new ConcurrentHashMap<>();

  PostgresExtension() {
    super(TestPostgres.class);
  }

  /** What decides the outcome: the requirement and the URL to probe. */
  record Settings(Requirement requirement, String url) {
    static Settings of(Map<String, String> env, @Nullable String defaultUrl) {
      String fromEnv = env.getOrDefault(PostgresPlan.URL_VARIABLE, "").trim();
      String url = !fromEnv.isEmpty() ? fromEnv : defaultUrl == null || defaultUrl.isBlank() ? DEFAULT_URL : defaultUrl.trim();
      return new Settings(Requirement.of(env, PostgresPlan.URL_VARIABLE), url);
    }
  }

  @Override
  Outcome<TestPostgres> outcome(ExtensionContext context) {
    Settings settings = Settings.of(System.getenv(), context.getConfigurationParameter(DEFAULT_URL_PROPERTY).orElse(null));
    // The run's root context closes this (dropping leftover schemas, stopping an embedded server) when the run ends.
    context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(settings, s -> new Closer(settings), Closer.class);
    return OUTCOMES.computeIfAbsent(settings, PostgresExtension::find);
  }

  static Outcome<TestPostgres> find(Settings settings) {
    String shown = TestPostgres.masked(settings.url());
    @Nullable String unreachable = probe(settings.url());
    PostgresPlan plan =
        PostgresPlan.decide(
            settings.requirement(), shown, unreachable,
            unreachable == null ? null : EmbeddedPostgresServer.unavailableBecause());
    return switch (plan.step()) {
      case USE_SERVER -> new Outcome.Available<>(new TestPostgres(settings.url(), false, null));
      case START_EMBEDDED -> startEmbedded(shown, plan, unreachable);
      case SKIP -> new Outcome.Skipped<>(plan.message());
      case FAIL -> new Outcome.Failed<>(plan.message());
    };
  }

  private static Outcome<TestPostgres> startEmbedded(String shown, PostgresPlan plan, @Nullable String unreachable) {
    try {
      TestPostgres embedded = EmbeddedPostgresServer.start();
      return new Outcome.Available<>(embedded, "PostgreSQL tests run on an " + embedded + ": " + plan.message());
    } catch (IOException | RuntimeException e) {
      String reason = unreachable == null ? "" : unreachable;
      return new Outcome.Skipped<>(
          PostgresPlan.skip(shown, reason, "it did not start: " + firstSentence(e.getMessage())).message());
    }
  }

  /** Why the server cannot be reached (the driver's first sentence), or {@code null} when it can. */
  static @Nullable String probe(String url) {
    Properties timeouts = new Properties();
    timeouts.setProperty("connectTimeout", "5");
    timeouts.setProperty("loginTimeout", "10");
    try (Connection c = DriverManager.getConnection(url, timeouts)) {
      return c.isValid(5) ? null : "the connection is not valid";
    } catch (SQLException e) {
      return firstSentence(e.getMessage());
    }
  }

  private static String firstSentence(@Nullable String message) {
    if (message == null || message.isBlank()) {
      return "no reason given";
    }
    int end = message.indexOf(". ");
    return (end < 0 ? message : message.substring(0, end)).strip();
  }

  /** Forgets the outcome of these settings and cleans up its server when the run ends. */
  private static final class Closer implements AutoCloseable {
    private final Settings settings;

    Closer(Settings settings) {
      this.settings = settings;
    }

    @Override
    public void close() {
      if (OUTCOMES.remove(settings) instanceof Outcome.Available<TestPostgres> available) {
        available.service().close();
      }
    }
  }
}
