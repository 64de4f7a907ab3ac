package io.webhookd.loadtest;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written as people write them: {@code 200ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
final class Durations {
  private static final Pattern P = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");

  static Duration parse(String value) {
    Matcher m = P.matcher(value.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "a duration must be a number and a unit (ms, s, m or h), such as 200ms or 5s, was \"" + value + "\"");
    }
    double n = Double.parseDouble(m.group(1));
    long millis =
        switch (m.group(2)) {
          case "ms" -> Math.round(n);
          case "s" -> Math.round(n * 1_000);
          case "m" -> Math.round(n * 60_000);
          default -> Math.round(n * 3_600_000);
        };
    return Duration.ofMillis(millis);
  }

  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0 && ms > 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }

  private Durations() {}
}
