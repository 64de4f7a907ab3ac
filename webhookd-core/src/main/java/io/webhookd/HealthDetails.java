package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * How a subscription's deliveries go, and the facts behind it, as last recorded by an engine:
 * {@link SubscriptionStatus#details()}. Immutable.
 *
 * <p>{@link #deliveryHealth()} is the state of the delivery path (healthy, or unhealthy once a
 * batch's retries are exhausted), kept while the subscription is inactive;
 * {@link SubscriptionStatus#health()} is what users are shown, {@code inactive} while the
 * subscription is inactive or webhooks are offline.
 *
 * @param deliveryHealth healthy or unhealthy (inactive before an engine ever ran it)
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
public record HealthDetails(
    Health deliveryHealth,
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
  public HealthDetails {
    requireNonNull(deliveryHealth, "deliveryHealth");
    requireNonNull(since, "since");
  }

  /** Fresh details with the given health and nothing else known. */
  public static HealthDetails initial(Health deliveryHealth, Instant now) {
    return new HealthDetails(deliveryHealth, now, null, null, 0, null, null, 0, 0, null, null, false);
  }
}
