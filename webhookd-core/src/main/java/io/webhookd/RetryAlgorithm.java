package io.webhookd;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** How the delay between retries of a failed batch grows. */
public enum RetryAlgorithm {
  /** Doubles from the initial delay up to the maximum, with jitter. */
  EXPONENTIAL_BACKOFF,
  /** The initial delay every time. */
  FIXED_TIME;

  /** The word used in JSON: {@code exponential_backoff} or {@code fixed_time}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The algorithm named by its JSON word, or {@code null} when the word names none. */
  public static @Nullable RetryAlgorithm fromWireName(@Nullable String name) {
    for (RetryAlgorithm a : values()) {
      if (a.wireName().equals(name)) {
        return a;
      }
    }
    return null;
  }
}
