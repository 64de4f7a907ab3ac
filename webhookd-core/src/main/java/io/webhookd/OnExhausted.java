package io.webhookd;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** What happens to a batch whose retries are exhausted ({@code configuration.retry.on_exhausted}). */
public enum OnExhausted {
  /**
   * The batch keeps being retried every {@link SubscriptionSpec.Retry#maxDelay()} and holds back
   * what comes after it (as the ordering mode says); the subscription is unhealthy until it is
   * delivered or skipped. The default.
   */
  KEEP_RETRYING,
  /**
   * The batch is written to the subscription's dead letters (durably, before its offsets are
   * committed) and delivery goes on; the dead letters can be redelivered or discarded later.
   */
  DEAD_LETTER;

  /** The word used in JSON: {@code keep_retrying} or {@code dead_letter}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The value named by its JSON word, or {@code null} when the word names none. */
  public static @Nullable OnExhausted fromWireName(@Nullable String name) {
    for (OnExhausted o : values()) {
      if (o.wireName().equals(name)) {
        return o;
      }
    }
    return null;
  }
}
