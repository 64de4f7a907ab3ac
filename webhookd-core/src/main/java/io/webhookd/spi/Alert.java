package io.webhookd.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A health change worth telling people about. Immutable; every value is safe to show (the URL is
 * masked).
 *
 * @param kind what happened
 * @param subscriptionId the subscription
 * @param subscriptionName its name
 * @param maskedUrl the webhook URL with secrets masked
 * @param recipients who should hear (the subscription's {@code alert_emails})
 * @param at when it happened
 * @param lastResponseCode the status of the last attempt, or {@code null} when no response came
 * @param lastResponseExcerpt the start of the last response body, or the error
 * @param lastSuccessAt the last delivery, or {@code null} when none
 * @param consumerLag messages waiting, or {@code null} when unknown
 * @param nextStep what webhookd does next, in words
 */
public record Alert(
    Kind kind,
    String subscriptionId,
    String subscriptionName,
    String maskedUrl,
    List<String> recipients,
    Instant at,
    @Nullable Integer lastResponseCode,
    @Nullable String lastResponseExcerpt,
    @Nullable Instant lastSuccessAt,
    @Nullable Long consumerLag,
    String nextStep) {

  /** What happened. */
  public enum Kind {
    /** Retries exhausted: the subscription turned unhealthy. */
    UNHEALTHY,
    /** Delivering again after being unhealthy. */
    RECOVERED,
    /** Disabled (for example after 410 Gone). */
    DISABLED,
    /** Still unhealthy. */
    REMINDER,
    /** Messages were moved to the dead letters (retries exhausted under {@code dead_letter}, or skipped). */
    DEAD_LETTERED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Alert {
    requireNonNull(kind, "kind");
    requireNonNull(subscriptionId, "subscriptionId");
    requireNonNull(subscriptionName, "subscriptionName");
    requireNonNull(maskedUrl, "maskedUrl");
    recipients = List.copyOf(recipients);
    requireNonNull(at, "at");
    requireNonNull(nextStep, "nextStep");
  }
}
