package io.webhookd.testsupport;

/**
 * What the tests that need a service get: the service, a skip with the line that says why and how
 * to run them, or a failure that names the missing service.
 */
sealed interface Outcome<T> {

  /**
   * The service is there.
   *
   * @param note a line worth printing once (such as that an embedded server was started), or empty
   */
  record Available<T>(T service, String note) implements Outcome<T> {
    Available(T service) {
      this(service, "");
    }
  }

  /** The service is missing and optional: the tests are reported as skipped, with this line. */
  record Skipped<T>(String line) implements Outcome<T> {}

  /** The service is missing and required: the tests fail with this message. */
  record Failed<T>(String message) implements Outcome<T> {}
}
