package io.webhookd;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Which messages of a subscription are delivered in order ({@code configuration.ordering}). */
public enum Ordering {
  /**
   * Every message of a partition in order: at most one batch of a partition is in flight, and a
   * failing batch holds back its whole partition. The default (the original guarantee).
   */
  PARTITION,
  /**
   * Messages with the same key in order: batches of one partition whose keys do not overlap may
   * be in flight together; a failing batch holds back only its own keys. Messages without a key
   * count as one key (they stay in order among themselves).
   */
  KEY,
  /** No order: batches are in flight together up to the in-flight limit; a failing batch holds back nothing else. */
  NONE;

  /** The word used in JSON: {@code partition}, {@code key} or {@code none}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The value named by its JSON word, or {@code null} when the word names none. */
  public static @Nullable Ordering fromWireName(@Nullable String name) {
    for (Ordering o : values()) {
      if (o.wireName().equals(name)) {
        return o;
      }
    }
    return null;
  }
}
