package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A message the webhook did not accept, kept in the subscription's dead letters: the batch it was
 * in exhausted its retries under {@link OnExhausted#DEAD_LETTER}, or an operator skipped that
 * batch. It stays until it is redelivered with a 2xx, discarded, or pruned by the retention
 * ({@link Webhookd.Builder#deadLetterRetention}). Immutable.
 *
 * @param id the dead letter's id: unique, and ordered by when it was written (the listing's
 *     order and cursor)
 * @param subscriptionId the subscription it belongs to
 * @param topic the record's topic
 * @param partition the record's partition
 * @param offset the record's offset
 * @param timestamp the record's Kafka timestamp
 * @param message the message object exactly as the webhook receives it in a batch (the wire
 *     format's JSON object with {@code topic}, {@code partition}, {@code offset}, {@code
 *     timestamp}, {@code key}, {@code value}, {@code headers}), as JSON text
 * @param statusCode the HTTP status of the last attempt, or {@code null} when none came
 * @param error what went wrong in the last attempt (secrets masked), or {@code null}
 * @param attempts how many times its batch was sent
 * @param batchId the id of the batch it was in
 * @param reason {@code retries_exhausted} or {@code skipped}
 * @param deadLetteredAt when it was written
 */
public record DeadLetter(
    String id,
    String subscriptionId,
    String topic,
    int partition,
    long offset,
    Instant timestamp,
    String message,
    @Nullable Integer statusCode,
    @Nullable String error,
    int attempts,
    String batchId,
    String reason,
    Instant deadLetteredAt) {

  /** {@link #reason()} of a batch that exhausted its retries under {@link OnExhausted#DEAD_LETTER}. */
  public static final String RETRIES_EXHAUSTED = "retries_exhausted";

  /** {@link #reason()} of a batch an operator skipped ({@link Webhookd#skip}). */
  public static final String SKIPPED = "skipped";

  public DeadLetter {
    requireNonNull(id, "id");
    requireNonNull(subscriptionId, "subscriptionId");
    requireNonNull(topic, "topic");
    requireNonNull(timestamp, "timestamp");
    requireNonNull(message, "message");
    requireNonNull(batchId, "batchId");
    requireNonNull(reason, "reason");
    requireNonNull(deadLetteredAt, "deadLetteredAt");
  }

  /**
   * One page of a subscription's dead letters, oldest first.
   *
   * @param deadLetters at most the limit asked for
   * @param next the cursor of the next page (the last id of this one), or {@code null} when this
   *     is the last page
   */
  public record Page(List<DeadLetter> deadLetters, @Nullable String next) {
    public Page {
      deadLetters = List.copyOf(deadLetters);
    }
  }
}
