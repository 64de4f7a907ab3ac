package io.webhookd.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * An operation one engine asks of every engine sharing the store, through the store ({@link
 * SubscriptionStore#addCommand}): the engine that received an operator's request may not be the
 * one running the subscription's partitions. Immutable.
 *
 * @param id unique, chosen by the engine that adds it
 * @param subscriptionId the subscription it is about
 * @param kind what to do
 * @param argument the kind's argument (the batch id of a {@link Kind#SKIP}), or {@code null}
 * @param createdAt when it was added
 * @param expiresAt after this it is ignored, completed or not
 * @param result how it ended ({@link SubscriptionStore#completeCommand}), or {@code null} while it
 *     is pending
 */
public record EngineCommand(
    String id,
    String subscriptionId,
    Kind kind,
    @Nullable String argument,
    Instant createdAt,
    Instant expiresAt,
    @Nullable String result) {

  /** What a command asks. */
  public enum Kind {
    /**
     * Every engine stops running the subscription (committing what was delivered) and does not
     * start it again while the command is pending: its consumer group empties, so its offsets can
     * be moved (a replay).
     */
    HOLD,
    /** The engine holding the failing batch {@link #argument()} moves it to the dead letters. */
    SKIP
  }

  public EngineCommand {
    requireNonNull(id, "id");
    requireNonNull(subscriptionId, "subscriptionId");
    requireNonNull(kind, "kind");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(expiresAt, "expiresAt");
  }

  /** Whether it still asks something at {@code now}: not completed and not expired. */
  public boolean pendingAt(Instant now) {
    return result == null && now.isBefore(expiresAt);
  }
}
