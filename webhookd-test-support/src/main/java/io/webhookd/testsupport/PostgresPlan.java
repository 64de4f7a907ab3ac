package io.webhookd.testsupport;

import org.jspecify.annotations.Nullable;

/**
 * What the tests do about PostgreSQL, decided from the {@link Requirement}, a probe of the server
 * and whether an embedded PostgreSQL may start: the whole skip-or-fail rule, free of side effects.
 *
 * @param step what to do
 * @param message for {@link Step#SKIP}, the one line of the skip; for {@link Step#FAIL}, the
 *     failure; otherwise what was found
 */
record PostgresPlan(Step step, String message) {
  /** The variable that names the server and makes PostgreSQL required. */
  static final String URL_VARIABLE = "WEBHOOKD_TEST_POSTGRES_URL";

  /** Why no embedded PostgreSQL starts as root, and what to do about it. */
  static final String AS_ROOT = "PostgreSQL refuses to run as root; build as another user to get one";

  enum Step {
    USE_SERVER,
    START_EMBEDDED,
    SKIP,
    FAIL,
  }

  /**
   * Decides: a reachable server is used; else, when required, a failure; else an embedded server
   * when one may start; else a skip.
   *
   * @param url the server's JDBC URL, as it may be shown (password masked)
   * @param unreachable why the server could not be reached, or {@code null} when it was
   * @param noEmbedded why no embedded PostgreSQL may start (such as {@link #AS_ROOT}), or {@code
   *     null} when one may
   */
  static PostgresPlan decide(
      Requirement requirement, String url, @Nullable String unreachable, @Nullable String noEmbedded) {
    if (unreachable == null) {
      return new PostgresPlan(Step.USE_SERVER, "PostgreSQL at " + url);
    }
    if (requirement.required()) {
      return new PostgresPlan(
          Step.FAIL,
          "PostgreSQL is required (" + requirement.why() + ") but there is none at " + url + ": " + unreachable
              + ". Start it (.ci/run starts the machine's server on 127.0.0.1:5432) or set "
              + URL_VARIABLE + " to a server that runs.");
    }
    if (noEmbedded == null) {
      return new PostgresPlan(
          Step.START_EMBEDDED, "there is none at " + url + " (" + unreachable + ")");
    }
    return skip(url, unreachable, noEmbedded);
  }

  /** The skip, with the one line that says why and how to run the tests. */
  static PostgresPlan skip(String url, String unreachable, String noEmbedded) {
    return new PostgresPlan(
        Step.SKIP,
        "PostgreSQL tests skipped: no PostgreSQL at " + url + " (" + unreachable + ") and no embedded one ("
            + noEmbedded + "). To run them, start PostgreSQL on 127.0.0.1:5432 (user postgres, database test),"
            + " or set " + URL_VARIABLE + "=jdbc:postgresql://host:port/database?user=…&password=…"
            + "; under CI=true they are required.");
  }
}
