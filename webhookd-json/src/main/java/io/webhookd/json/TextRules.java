package io.webhookd.json;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The rules the documents check before a {@link io.webhookd.SubscriptionSpec.Builder} sees a value,
 * worded as the builder words its own (which lives in webhookd-core and is not public).
 */
final class TextRules {
  private TextRules() {}

  /** The rule of {@code max_requests_per_second}, for messages. */
  static String rateRule() {
    return "must be a number of requests per second between 0.01 and 10000";
  }

  /**
   * The first half of a surrogate pair in {@code s} without its other half, described with its
   * code and 1-based position ("a lone surrogate U+D800 at position 4"), or {@code null}: JSON may
   * escape half a pair ({@code "\ud800"}), which no encoding can store or send.
   */
  static @Nullable String loneSurrogate(String s) {
    int position = 0;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      position++;
      if (Character.charCount(c) == 1 && Character.isSurrogate((char) c)) {
        return "a lone surrogate " + String.format(Locale.ROOT, "U+%04X", c) + " at position " + position;
      }
      i += Character.charCount(c);
    }
    return null;
  }
}
