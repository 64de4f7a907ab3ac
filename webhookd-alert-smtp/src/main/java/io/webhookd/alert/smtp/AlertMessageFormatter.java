package io.webhookd.alert.smtp;

import static java.util.Objects.requireNonNull;

import io.webhookd.Masking;
import io.webhookd.spi.Alert;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Turns an {@link Alert} into the subject, plain text and HTML of an alert mail.
 *
 * <p>The subject says what happened in one line, for example {@code [webhookd] orders-to-billing
 * is failing: HTTP 503}, {@code [webhookd] orders-to-billing recovered}, {@code [webhookd]
 * orders-to-billing was disabled: HTTP 410} or {@code [webhookd] orders-to-billing is still
 * failing: no response (connection refused)}. Both bodies hold the same facts: subscription name
 * and id, webhook URL (masked again with {@link Masking#maskUrl}, whatever the caller did), last
 * response code and body excerpt (at most {@value #MAX_EXCERPT_CHARS} characters; HTML-escaped in
 * the HTML part), the time since the last success ("3 h 12 min ago" or "never"), the messages
 * waiting when known, what webhookd does next, and when it happened (UTC).
 *
 * <p>Immutable and thread-safe.
 */
public final class AlertMessageFormatter {
  /** The longest response excerpt a mail shows; longer ones are cut and marked as such. */
  public static final int MAX_EXCERPT_CHARS = 2048;

  /** The longest problem description in a subject line. */
  static final int MAX_SUBJECT_PROBLEM_CHARS = 80;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private final Clock clock;

  private AlertMessageFormatter(Clock clock) {
    this.clock = clock;
  }

  /** A formatter that measures "time since the last success" against the system clock. */
  public static AlertMessageFormatter create() {
    return new AlertMessageFormatter(Clock.systemUTC());
  }

  /** A formatter that measures "time since the last success" against {@code clock}. */
  public static AlertMessageFormatter create(Clock clock) {
    return new AlertMessageFormatter(requireNonNull(clock, "clock"));
  }

  /**
   * A formatted alert mail.
   *
   * @param subject one line, without the line breaks or control characters of its inputs
   * @param text the {@code text/plain} body
   * @param html the {@code text/html} body, every value HTML-escaped
   */
  public record AlertMessage(String subject, String text, String html) {
    public AlertMessage {
      requireNonNull(subject, "subject");
      requireNonNull(text, "text");
      requireNonNull(html, "html");
    }
  }

  /** Formats {@code alert}. */
  public AlertMessage format(Alert alert) {
    requireNonNull(alert, "alert");
    String headline = headline(alert);
    List<String[]> facts = facts(alert);
    return new AlertMessage("[webhookd] " + headline, text(alert, headline, facts), html(alert, headline, facts));
  }

  /** The subject line, for example {@code [webhookd] orders-to-billing is failing: HTTP 503}. */
  public String subject(Alert alert) {
    return "[webhookd] " + headline(requireNonNull(alert, "alert"));
  }

  private static String headline(Alert alert) {
    String name = oneLine(alert.subscriptionName(), 200);
    String problem = problem(alert);
    switch (alert.kind()) {
      case UNHEALTHY:
        return name + " is failing: " + problem;
      case RECOVERED:
        return name + " recovered";
      case DISABLED:
        return name + " was disabled: " + problem;
      case REMINDER:
        return name + " is still failing: " + problem;
      default:
        throw new IllegalStateException("unknown alert kind " + alert.kind());
    }
  }

  /** "HTTP 503", or "no response (connection refused)" when no status code came back. */
  private static String problem(Alert alert) {
    if (alert.lastResponseCode() != null) {
      return "HTTP " + alert.lastResponseCode();
    }
    String why = alert.lastResponseExcerpt() == null ? "" : oneLine(alert.lastResponseExcerpt(), MAX_SUBJECT_PROBLEM_CHARS);
    return why.isEmpty() ? "no response" : "no response (" + why + ")";
  }

  private static String whatHappened(Alert.Kind kind) {
    switch (kind) {
      case UNHEALTHY:
        return "Retries are exhausted: the webhook did not accept deliveries and the subscription is now unhealthy.";
      case RECOVERED:
        return "The webhook accepts deliveries again: the subscription is healthy.";
      case DISABLED:
        return "The subscription was disabled: webhookd no longer delivers to this webhook.";
      case REMINDER:
        return "The subscription is still unhealthy: the webhook does not accept deliveries.";
      default:
        throw new IllegalStateException("unknown alert kind " + kind);
    }
  }

  /** Label and value pairs, shown in this order in both parts; the excerpt comes separately. */
  private List<String[]> facts(Alert alert) {
    List<String[]> facts = new ArrayList<>();
    facts.add(new String[] {"Subscription", alert.subscriptionName()});
    facts.add(new String[] {"Subscription id", alert.subscriptionId()});
    facts.add(new String[] {"Webhook URL", maskAgain(alert.maskedUrl())});
    facts.add(
        new String[] {
          "Last response",
          alert.lastResponseCode() == null ? "no response" : "HTTP " + alert.lastResponseCode()
        });
    facts.add(new String[] {"Last success", lastSuccess(alert.lastSuccessAt())});
    if (alert.consumerLag() != null) {
      long lag = alert.consumerLag();
      facts.add(
          new String[] {
            "Messages waiting", String.format(Locale.ROOT, "%,d", lag)
          });
    }
    facts.add(new String[] {"Next step", alert.nextStep()});
    facts.add(new String[] {"Time of event", TIME.format(alert.at())});
    return facts;
  }

  private String lastSuccess(@Nullable Instant lastSuccessAt) {
    if (lastSuccessAt == null) {
      return "never";
    }
    return humanAgo(Duration.between(lastSuccessAt, clock.instant()))
        + " ("
        + TIME.format(lastSuccessAt)
        + ")";
  }

  /** "3 h 12 min ago", "2 d 4 h ago", "45 s ago", "just now"; the two largest units. */
  static String humanAgo(Duration elapsed) {
    long seconds = elapsed.getSeconds();
    if (seconds < 1) {
      return "just now"; // also for a clock that is behind the event's
    }
    long days = seconds / 86_400;
    long hours = seconds % 86_400 / 3_600;
    long minutes = seconds % 3_600 / 60;
    long secs = seconds % 60;
    String text;
    if (days > 0) {
      text = days + " d" + (hours > 0 ? " " + hours + " h" : "");
    } else if (hours > 0) {
      text = hours + " h" + (minutes > 0 ? " " + minutes + " min" : "");
    } else if (minutes > 0) {
      text = minutes + " min" + (secs > 0 ? " " + secs + " s" : "");
    } else {
      text = secs + " s";
    }
    return text + " ago";
  }

  private static String text(Alert alert, String headline, List<String[]> facts) {
    StringBuilder sb = new StringBuilder();
    sb.append(headline).append("\n\n").append(whatHappened(alert.kind())).append("\n\n");
    for (String[] fact : facts) {
      sb.append(String.format(Locale.ROOT, "%-17s %s\n", fact[0] + ":", printable(fact[1])));
    }
    String excerpt = excerpt(alert.lastResponseExcerpt());
    if (excerpt != null) {
      sb.append("\n")
          .append(alert.lastResponseCode() == null ? "Error" : "Response body")
          .append(":\n")
          .append(excerpt)
          .append("\n");
    }
    sb.append("\n-- \nwebhookd\n");
    return sb.toString();
  }

  private static String html(Alert alert, String headline, List<String[]> facts) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
        .append(escape(headline))
        .append("</title></head>\n<body style=\"font-family: sans-serif\">\n")
        .append("<h2>")
        .append(escape(headline))
        .append("</h2>\n<p>")
        .append(escape(whatHappened(alert.kind())))
        .append("</p>\n<table cellpadding=\"4\">\n");
    for (String[] fact : facts) {
      sb.append("<tr><th align=\"left\">")
          .append(escape(fact[0]))
          .append("</th><td>")
          .append(escape(printable(fact[1])))
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
    String excerpt = excerpt(alert.lastResponseExcerpt());
    if (excerpt != null) {
      sb.append("<h3>")
          .append(alert.lastResponseCode() == null ? "Error" : "Response body")
          .append("</h3>\n<pre style=\"white-space: pre-wrap\">")
          .append(escape(excerpt))
          .append("</pre>\n");
    }
    sb.append("<p style=\"color: #777\">webhookd</p>\n</body></html>\n");
    return sb.toString();
  }

  /** The URL masked again; an unparseable one is not shown at all, as it may hold a secret. */
  static String maskAgain(String url) {
    try {
      return Masking.maskUrl(new URI(url));
    } catch (URISyntaxException | RuntimeException e) {
      return Masking.MASK + " (unparseable URL)";
    }
  }

  /** The excerpt, printable and cut to {@link #MAX_EXCERPT_CHARS}; null when there is none. */
  static @Nullable String excerpt(@Nullable String raw) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    String s = printable(raw.replace("\r\n", "\n"));
    if (s.length() <= MAX_EXCERPT_CHARS) {
      return s;
    }
    int end = MAX_EXCERPT_CHARS;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--; // never split a surrogate pair
    }
    return s.substring(0, end) + "\n… (truncated; " + s.length() + " characters in all)";
  }

  /** Control characters other than tab and newline replaced by U+FFFD. */
  private static String printable(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c) && c != '\n' && c != '\t') {
        if (sb == null) {
          sb = new StringBuilder(s.length()).append(s, 0, i);
        }
        sb.append('\uFFFD');
      } else if (sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  /** One line: whitespace runs collapsed, control characters dropped, cut to {@code max}. */
  static String oneLine(String s, int max) {
    String line = s.replaceAll("[\\s\\p{Cntrl}]+", " ").strip();
    if (line.length() <= max) {
      return line;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(line.charAt(end - 1))) {
      end--;
    }
    return line.substring(0, end) + "…";
  }

  /** Escapes the five characters that matter in HTML text and attribute values. */
  static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&':
          sb.append("&amp;");
          break;
        case '<':
          sb.append("&lt;");
          break;
        case '>':
          sb.append("&gt;");
          break;
        case '"':
          sb.append("&quot;");
          break;
        case '\'':
          sb.append("&#39;");
          break;
        default:
          sb.append(c);
      }
    }
    return sb.toString();
  }
}
