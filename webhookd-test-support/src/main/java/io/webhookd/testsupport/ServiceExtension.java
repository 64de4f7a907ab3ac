package io.webhookd.testsupport;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit 5 side of every service that tests need from outside ({@link PostgresExtension},
 * {@link ChromiumExtension}), so that the rule is applied the same way for each: a {@link
 * Outcome.Skipped skip} disables the annotated class or method with its line as the reason; a
 * {@link Outcome.Failed failure} fails it before it runs (also when it never asks for the
 * service); an {@link Outcome.Available available} service is handed to parameters of type
 * {@code T}.
 *
 * <p>The skip line (and a note, such as that an embedded server was started) is also printed on
 * the console, once per JVM.
 */
abstract class ServiceExtension<T>
    implements ExecutionCondition, BeforeAllCallback, BeforeEachCallback, ParameterResolver {
  /**
   * The JUnit configuration parameter that, set to {@code false}, keeps skip lines off the console:
   * for tests of this module, whose skips are not the run's.
   */
  static final String ANNOUNCE_PROPERTY = "webhookd.test.announce-skips";

  private static final Set<String> PRINTED = ConcurrentHashMap.newKeySet();

  private final Class<T> type;

  ServiceExtension(Class<T> type) {
    this.type = type;
  }

  /** The outcome for this run's settings; computed once per settings and JVM, so cheap to ask again. */
  abstract Outcome<T> outcome(ExtensionContext context);

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Outcome<T> outcome = outcome(context);
    if (outcome instanceof Outcome.Skipped<T> skipped) {
      announce(context, skipped.line());
      return ConditionEvaluationResult.disabled(skipped.line());
    }
    if (outcome instanceof Outcome.Available<T> available) {
      if (!available.note().isEmpty()) {
        announce(context, available.note());
      }
      return ConditionEvaluationResult.enabled("uses " + available.service());
    }
    return ConditionEvaluationResult.enabled("required: fails before it runs");
  }

  /**
   * Prints a skip's line (or an available service's note) once per JVM on the process's own standard error, which Maven shows
   * next to the test counts: Surefire prints no skip reasons and the build sends what tests print
   * ({@code System.err} too) to report files, where nobody would look for it.
   */
  private static void announce(ExtensionContext context, String line) {
    if (context.getConfigurationParameter(ANNOUNCE_PROPERTY).map(Boolean::parseBoolean).orElse(true)
        && PRINTED.add(line)) {
      try {
        @SuppressWarnings("resource") // the process's standard error: stays open
        FileOutputStream stderr = new FileOutputStream(FileDescriptor.err);
        stderr.write((line + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
        stderr.flush();
      } catch (IOException e) {
        System.err.println(line);
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    failIfMissing(context);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    failIfMissing(context);
  }

  private void failIfMissing(ExtensionContext context) {
    if (outcome(context) instanceof Outcome.Failed<T> failed) {
      throw new MissingServiceException(failed.message());
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == type;
  }

  @Override
  public T resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    Outcome<T> outcome = outcome(extensionContext);
    if (outcome instanceof Outcome.Available<T> available) {
      return available.service();
    }
    throw new ParameterResolutionException(
        outcome instanceof Outcome.Failed<T> f ? f.message() : ((Outcome.Skipped<T>) outcome).line());
  }

  /** Thrown where a required service is missing; its message names the service and what to do. */
  static final class MissingServiceException extends IllegalStateException {
    MissingServiceException(String message) {
      super(message);
    }
  }
}
