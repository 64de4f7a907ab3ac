package io.webhookd.testsupport;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Whether this run must have a service that some tests need, or may skip those tests without it.
 *
 * <p>Required under {@code CI=true} (so that CI never goes green without them) and whenever the
 * service's own variable is set (someone named a server: a typo in it must fail, not turn into a
 * skip). Optional otherwise, which is what a fresh clone on a developer's machine gets.
 *
 * @param required whether a missing service is a failure
 * @param why what made it so, for messages: {@code "CI=true"}, {@code "WEBHOOKD_TEST_POSTGRES_URL is
 *     set"}, or why it is optional
 */
public record Requirement(boolean required, String why) {
  /** The variable that CI services (and {@code .ci/run}) set to {@code true}. */
  public static final String CI = "CI";

  /**
   * The requirement in this environment.
   *
   * @param env the environment, usually {@link System#getenv()}
   * @param variable the variable that names the service's server when set (such as {@code
   *     WEBHOOKD_TEST_POSTGRES_URL}), or {@code null} for a service only CI requires
   */
  public static Requirement of(Map<String, String> env, @Nullable String variable) {
    if ("true".equalsIgnoreCase(env.getOrDefault(CI, "").trim())) {
      return new Requirement(true, CI + "=true");
    }
    if (variable != null && !env.getOrDefault(variable, "").isBlank()) {
      return new Requirement(true, variable + " is set");
    }
    return new Requirement(
        false, variable == null ? CI + " is not true" : CI + " is not true and " + variable + " is not set");
  }
}
