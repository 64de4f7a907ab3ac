package io.webhookd.internal;

import org.jspecify.annotations.Nullable;

/**
 * Text from outside (a subscription's name, an offline message, a webhook's response) made safe
 * for a log line: control characters, the Unicode line and paragraph separators and lone
 * surrogates are written as escapes (a line feed as backslash-n, U+2028 as backslash-u2028), so that
 * no input can end a line and forge the next one. Stateless and thread-safe.
 */
public final class LogText {
  private LogText() {}

  /** {@code text} with every character that could break a log line escaped; {@code null} as "null". */
  public static String escape(@Nullable Object text) {
    String s = String.valueOf(text);
    int first = firstToEscape(s);
    if (first < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    sb.append(s, 0, first);
    for (int i = first; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!needsEscape(s, i)) {
        sb.append(c);
        continue;
      }
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      }
    }
    return sb.toString();
  }

  private static int firstToEscape(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (needsEscape(s, i)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean needsEscape(String s, int i) {
    char c = s.charAt(i);
    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
      return true;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
    }
    return false;
  }
}
