package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A subscription's health and the facts behind it, as last recorded by an engine. Immutable.
 *
 * @param health healthy, unhealthy or inactive
 * @param since when it entered this health
 * @param lastSuccessAt the last 2xx, or {@code null} when none yet
 * @param lastFailureAt the last failed attempt, or {@code null}
 * @param consecutiveFailures failed attempts since the last success
 * @param lastResponseCode the status of the last attempt, or {@code null} when no response came
 * @param lastError a short description of the last failure, or {@code null}
 * @param delivered messages delivered (counted by the engines that ran it)
 * @param failedAttempts failed delivery attempts
 * @param lastAlert a description of the last alert ("unhealthy alert sent to 2 recipients"), or
 *     {@code null}
 * @param lastAlertAt when the last alert was decided, or {@code null}
 * @param lastAlertSent whether the last alert has been handed to its channel successfully
 */
public record HealthSnapshot(
    Health health,
    Instant since,
    @Nullable Instant lastSuccessAt,
    @Nullable Instant lastFailureAt,
    int consecutiveFailures,
    @Nullable Integer lastResponseCode,
    @Nullable String lastError,
    long delivered,
    long failedAttempts,
    @Nullable String lastAlert,
    @Nullable Instant lastAlertAt,
    boolean lastAlertSent) {
  public HealthSnapshot {
    requireNonNull(health, "health");
    requireNonNull(since, "since");
  }

  /** A fresh snapshot with the given health and nothing else known. */
  public static HealthSnapshot initial(Health health, Instant now) {
    return new HealthSnapshot(health, now, null, null, 0, null, null, 0, 0, null, null, false);
  }
}
