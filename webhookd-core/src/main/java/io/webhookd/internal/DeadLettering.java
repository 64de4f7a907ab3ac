package io.webhookd.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.webhookd.ActivityEvent;
import io.webhookd.DeadLetter;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.SubscriptionStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Writes a batch's messages to the subscription's dead letters in the store, durably, before the
 * runner lets their offsets be committed; then counts them, records a {@code dead_lettered}
 * activity event and asks for an alert. Thread-safe.
 */
final class DeadLettering {
  /** Asks for a dead-letter alert (throttled per subscription by the alert interval). */
  interface Alerts {
    void deadLettered(String subscriptionId, int count, @Nullable DeliveryResult last);
  }

  /** Tries the letters of a batch once more one message per request, in the background (see {@link #write}). */
  interface OneByOne {
    void resend(String subscriptionId, List<DeadLetter> letters);
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final AtomicLong SEQUENCE = new AtomicLong(RANDOM.nextInt(1 << 20));

  private final SubscriptionStore store;
  private final Reporter reporter;
  private final Metrics metrics;
  private final Alerts alerts;
  private final OneByOne oneByOne;

  DeadLettering(SubscriptionStore store, Reporter reporter, Metrics metrics, Alerts alerts) {
    this(store, reporter, metrics, alerts, (id, letters) -> {});
  }

  DeadLettering(SubscriptionStore store, Reporter reporter, Metrics metrics, Alerts alerts, OneByOne oneByOne) {
    this.oneByOne = oneByOne;
    this.store = store;
    this.reporter = reporter;
    this.metrics = metrics;
    this.alerts = alerts;
  }

  boolean available() {
    return store.supportsDeadLetters();
  }

  /**
   * Writes the batch's messages as dead letters; when this returns they are durable. A batch of
   * several messages whose retries were exhausted is refused as a whole, though usually one
   * message in it is what the webhook refuses: its letters are then tried once more, one message
   * per request, in the background, and each one the webhook accepts leaves the dead letters, so
   * that only the refused messages stay there.
   *
   * @throws RuntimeException when the store could not write them (the batch then stays pending)
   */
  void write(String subscriptionId, Batch b, @Nullable DeliveryResult last, String reason, @Nullable String who) {
    Instant now = Instant.now();
    Integer code = last == null || last.statusCode() < 0 ? null : last.statusCode();
    String error = last == null || last.isSuccess() ? null : HealthTracker.describe(last);
    List<DeadLetter> letters = new ArrayList<>(b.messages.size());
    for (Pending p : b.messages) {
      String message = new String(p.bytes(), StandardCharsets.UTF_8);
      String topic;
      int partition;
      try {
        JsonNode m = MessageEncoder.MAPPER.readTree(p.bytes());
        topic = m.path("topic").asText();
        partition = m.path("partition").asInt();
      } catch (IOException e) {
        throw new IllegalStateException("a message of batch " + b.id + " is not the wire format's JSON", e);
      }
      letters.add(new DeadLetter(nextId(now), subscriptionId, topic, partition, p.offset(),
          Instant.ofEpochMilli(Math.max(0, p.timestamp())), message, code, error, b.attempts, b.id, reason, now));
    }
    store.addDeadLetters(letters);
    metrics.deadLettered(subscriptionId, reason, letters.size());
    reporter.activity(subscriptionId, ActivityEvent.operation(now, ActivityEvent.Type.DEAD_LETTERED,
        letters.size() + " message(s) of batch " + b.id + " moved to the dead letters ("
            + (DeadLetter.SKIPPED.equals(reason) ? "skipped" + Operations.by(who) : "retries exhausted after "
            + b.attempts + " attempt(s)") + (error == null ? "" : "; last: " + error) + ")",
        letters.size(), b.id));
    alerts.deadLettered(subscriptionId, letters.size(), last);
    if (letters.size() > 1 && DeadLetter.RETRIES_EXHAUSTED.equals(reason)) {
      oneByOne.resend(subscriptionId, letters);
    }
  }

  void skipped(String subscriptionId) {
    metrics.skipped(subscriptionId);
  }

  /** Ordered by time across engines (to the millisecond), unique: 12 hex digits of time, a sequence, randomness. */
  static String nextId(Instant now) {
    return String.format("%012x%06x%06x", now.toEpochMilli(), SEQUENCE.incrementAndGet() & 0xffffff, RANDOM.nextInt(1 << 24));
  }
}
