package io.webhookd;

import io.webhookd.internal.FilterRoots;
import io.webhookd.internal.Jmes;
import io.webhookd.internal.Signer;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Checks every rule of a {@link SubscriptionSpec.Builder} and reports every problem at once. */
final class SpecValidator {
  private static final Pattern PORT = Pattern.compile(":(-?[0-9]+)$");
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern EMAIL =
      Pattern.compile("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");
  private static final List<String> RESERVED_HEADERS =
      List.of(
          "host", "content-length", "content-type", "connection", "transfer-encoding", "upgrade",
          "expect", "te", "trailer", "keep-alive", "webhook-id", "webhook-timestamp",
          "webhook-signature", "user-agent");

  /** The lowest rate limit, requests per second: one request every 100 s. */
  static final double MIN_RATE = 0.01;

  /** The highest rate limit, requests per second. */
  static final double MAX_RATE = 10_000;

  private SpecValidator() {}

  /** The rule of {@code max_requests_per_second}, for messages. */
  static String rateRule() {
    return "must be a number of requests per second between 0.01 and 10000";
  }

  /**
   * The first character of {@code s} that no field of a subscription may hold, described with its
   * code and 1-based position ("control character U+000B at position 4"), or {@code null}: C0
   * and C1 control characters and DEL (a tab only where {@code tabAllowed}), the line and
   * paragraph separators U+2028 and U+2029, and lone surrogates (which no encoding can carry).
   */
  static @Nullable String badCharacter(String s, boolean tabAllowed) {
    return firstBad(s, tabAllowed, true);
  }

  /** The first half of a surrogate pair in {@code s} without its other half, described, or {@code null}. */
  static @Nullable String loneSurrogate(String s) {
    return firstBad(s, true, false);
  }

  private static @Nullable String firstBad(String s, boolean tabAllowed, boolean controls) {
    int position = 0;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      position++;
      if (Character.charCount(c) == 1 && Character.isSurrogate((char) c)) {
        return "a lone surrogate " + code(c) + " at position " + position;
      }
      if (controls
          && ((Character.isISOControl(c) && !(tabAllowed && c == '\t')) || c == 0x2028 || c == 0x2029)) {
        return "control character " + code(c) + " at position " + position;
      }
      i += Character.charCount(c);
    }
    return null;
  }

  private static String code(int c) {
    return String.format(Locale.ROOT, "U+%04X", c);
  }

  /** The port of a URL outside 1 to 65535, as written, or {@code null}. */
  private static @Nullable String badPort(URI u) {
    if (u.getHost() != null) {
      return u.getPort() == 0 || u.getPort() > 65535 ? String.valueOf(u.getPort()) : null;
    }
    // java.net.URI drops a host whose port does not fit an int: find the port in the authority
    String authority = u.getRawAuthority();
    if (authority != null) {
      java.util.regex.Matcher m = PORT.matcher(authority);
      if (m.find()) {
        return m.group(1);
      }
    }
    return null;
  }

  static SubscriptionSpec validate(SubscriptionSpec.Builder b) {
    List<Problem> problems = new ArrayList<>();

    String name = b.name;
    if (name == null || name.isBlank()) {
      problems.add(new Problem("name", "is required and must not be blank"));
    } else if (name.length() > 200) {
      problems.add(
          new Problem("name", "must be at most 200 characters, was " + name.length()));
    } else {
      String bad = badCharacter(name, false);
      if (bad != null) {
        problems.add(new Problem("name", "must not contain " + bad));
      }
    }

    URI url = null;
    String rawUrl = b.webhookUrl;
    if (rawUrl == null || rawUrl.isBlank()) {
      problems.add(new Problem("destination.webhook.url", "is required"));
    } else if (badCharacter(rawUrl, false) != null) {
      problems.add(new Problem("destination.webhook.url", "must not contain " + badCharacter(rawUrl, false)));
    } else {
      // messages show the URL masked (Masking.maskUrlText): it may carry a token or a password
      try {
        URI u = new URI(rawUrl);
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        boolean http = scheme.equals("http") || scheme.equals("https");
        String badPort = badPort(u);
        if (!u.isAbsolute()) {
          // any scheme an engine has a destination for (Webhookd.Builder.destination(scheme, ...)); the engine checks which
          problems.add(
              new Problem(
                  "destination.webhook.url",
                  "must be an absolute URL (http or https, or a scheme of your own destination), was "
                      + quote(Masking.maskUrlText(rawUrl))));
        } else if (badPort != null) {
          problems.add(
              new Problem(
                  "destination.webhook.url",
                  "must have a port between 1 and 65535, was " + badPort + " in " + quote(Masking.maskUrlText(rawUrl))));
        } else if (http && (u.getHost() == null || u.getHost().isEmpty())) {
          problems.add(
              new Problem(
                  "destination.webhook.url",
                  "must name a host, was " + quote(Masking.maskUrlText(rawUrl))));
        } else if (u.getRawFragment() != null) {
          problems.add(
              new Problem("destination.webhook.url", "must not have a fragment (#...)"));
        } else if (rawUrl.length() > 2048) {
          problems.add(
              new Problem(
                  "destination.webhook.url",
                  "must be at most 2048 characters, was " + rawUrl.length()));
        } else {
          url = u;
        }
      } catch (URISyntaxException e) {
        problems.add(
            new Problem(
                "destination.webhook.url",
                "is not a valid URL (" + e.getReason() + "), was " + quote(Masking.maskUrlText(rawUrl))));
      }
    }

    List<SubscriptionSpec.Header> headers = List.copyOf(b.headers);
    if (headers.size() > 50) {
      problems.add(
          new Problem("destination.webhook.headers", "must have at most 50 headers, had " + headers.size()));
    }
    for (int i = 0; i < headers.size(); i++) {
      SubscriptionSpec.Header h = headers.get(i);
      String f = "destination.webhook.headers[" + i + "]";
      if (!HEADER_NAME.matcher(h.name()).matches()) {
        problems.add(
            new Problem(f, "must be \"Name: value\" with a valid header name, was name " + quote(shorten(h.name()))));
      } else if (RESERVED_HEADERS.contains(h.name().toLowerCase(Locale.ROOT))) {
        problems.add(
            new Problem(f, "header " + quote(h.name()) + " is set by webhookd and cannot be overridden"));
      }
      String bad = badCharacter(h.value(), true);
      if (bad != null) {
        // the value may be a secret: name the character and its place, never the value
        problems.add(new Problem(f, "value of " + quote(shorten(h.name())) + " must not contain " + bad));
      } else if (h.value().length() > 4096) {
        problems.add(new Problem(f, "value must be at most 4096 characters, was " + h.value().length()));
      }
    }

    String secret = b.signingSecret;
    if (secret != null) {
      String why = Signer.checkSecret(secret);
      if (why != null) {
        problems.add(new Problem("destination.webhook.signing_secret", why));
      }
    }

    List<SubscriptionSpec.Source> sources = List.copyOf(b.sources);
    if (sources.isEmpty()) {
      problems.add(new Problem("source", "must list at least one topic"));
    } else if (sources.size() > 100) {
      problems.add(new Problem("source", "must list at most 100 topics, had " + sources.size()));
    }
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      SubscriptionSpec.Source s = sources.get(i);
      String f = "source[" + i + "]";
      if (!TOPIC.matcher(s.topic()).matches() || s.topic().equals(".") || s.topic().equals("..")) {
        problems.add(
            new Problem(
                f + ".topic",
                "must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), was " + quote(shorten(s.topic()))));
      } else if (seen.contains(s.topic())) {
        problems.add(new Problem(f + ".topic", "topic " + quote(s.topic()) + " is listed twice"));
      }
      seen.add(s.topic());
      if (s.jmesFilters().size() > 20) {
        problems.add(new Problem(f + ".jmes_filters", "must have at most 20 expressions, had " + s.jmesFilters().size()));
      }
      for (int j = 0; j < s.jmesFilters().size(); j++) {
        String expr = s.jmesFilters().get(j);
        String surrogate = loneSurrogate(expr);
        String why = surrogate != null ? "must not contain " + surrogate : Jmes.check(expr);
        if (why == null) {
          why = FilterRoots.neverMatches(expr);
        }
        if (why != null) {
          problems.add(new Problem(f + ".jmes_filters[" + j + "]", why));
        }
      }
    }

    if (b.maxBatchSize < 1 || b.maxBatchSize > 1000) {
      problems.add(
          new Problem(
              "configuration.batching.max_batch_size",
              "must be between 1 and 1000, was " + b.maxBatchSize));
    }
    Duration interval = b.maxBatchInterval;
    if (interval == null) {
      problems.add(new Problem("configuration.batching.max_batch_interval_seconds", "is required"));
    } else if (interval.compareTo(Duration.ofMillis(1)) < 0
        || interval.compareTo(Duration.ofSeconds(300)) > 0) {
      problems.add(
          new Problem(
              "configuration.batching.max_batch_interval_seconds",
              "must be between 1 and 300 seconds, was " + seconds(interval)));
    }
    if (b.maxRetries < 0 || b.maxRetries > 10) {
      problems.add(
          new Problem(
              "configuration.retry.max_retries", "must be between 0 and 10, was " + b.maxRetries));
    }
    if (b.retryAlgorithm == null) {
      problems.add(
          new Problem(
              "configuration.retry.retry_algorithm",
              "must be exponential_backoff or fixed_time"));
    }
    Duration initial = b.retryInitialDelay;
    Duration max = b.retryMaxDelay;
    if (initial == null || initial.compareTo(Duration.ofMillis(1)) < 0 || initial.compareTo(Duration.ofHours(1)) > 0) {
      problems.add(
          new Problem(
              "configuration.retry.initial_delay_ms",
              "must be between 1 ms and 1 hour, was " + (initial == null ? "null" : initial.toMillis() + " ms")));
    }
    if (max == null || max.compareTo(Duration.ofMillis(1)) < 0 || max.compareTo(Duration.ofHours(1)) > 0) {
      problems.add(
          new Problem(
              "configuration.retry.max_delay_ms",
              "must be between 1 ms and 1 hour, was " + (max == null ? "null" : max.toMillis() + " ms")));
    } else if (initial != null && max.compareTo(initial) < 0) {
      problems.add(
          new Problem(
              "configuration.retry.max_delay_ms",
              "must be at least the initial delay (" + initial.toMillis() + " ms), was " + max.toMillis() + " ms"));
    }

    if (b.onExhausted == null) {
      problems.add(
          new Problem("configuration.retry.on_exhausted", "must be \"keep_retrying\" or \"dead_letter\""));
    }
    if (b.ordering == null) {
      problems.add(
          new Problem("configuration.ordering", "must be \"partition\", \"key\" or \"none\""));
    }
    if (b.maxInFlight < 1 || b.maxInFlight > SubscriptionSpec.Delivery.MAX) {
      problems.add(
          new Problem(
              "configuration.max_in_flight",
              "must be between 1 and " + SubscriptionSpec.Delivery.MAX + ", was " + b.maxInFlight));
    }
    if (b.parallelism < 1 || b.parallelism > SubscriptionSpec.Delivery.MAX) {
      problems.add(
          new Problem(
              "configuration.parallelism",
              "must be between 1 and " + SubscriptionSpec.Delivery.MAX + ", was " + b.parallelism));
    }

    SubscriptionSpec.Alerting alerting = b.alerting;
    if (alerting != null) {
      if (!alerting.channel().equals("email")) {
        problems.add(
            new Problem(
                "configuration.alerting.alert_channel",
                "must be \"email\", was " + quote(shorten(alerting.channel()))));
      }
      if (alerting.emails().isEmpty()) {
        problems.add(new Problem("configuration.alerting.alert_emails", "must list at least one address"));
      } else if (alerting.emails().size() > 50) {
        problems.add(new Problem("configuration.alerting.alert_emails", "must list at most 50 addresses, had " + alerting.emails().size()));
      }
      for (int i = 0; i < alerting.emails().size(); i++) {
        String e = alerting.emails().get(i);
        if (e == null || e.length() > 254 || !EMAIL.matcher(e).matches()) {
          problems.add(
              new Problem(
                  "configuration.alerting.alert_emails[" + i + "]",
                  "must be an email address, was " + quote(e == null ? "null" : shorten(e))));
        }
      }
    }

    Double rate = b.rateLimit;
    if (rate != null && !(rate >= MIN_RATE && rate <= MAX_RATE)) {
      problems.add(new Problem("configuration.rate_limit.max_requests_per_second", rateRule() + ", was " + rate));
    }

    if (!problems.isEmpty()) {
      throw new ValidationException(problems);
    }
    return new SubscriptionSpec(
        name.strip(),
        b.active,
        new SubscriptionSpec.Destination(url, headers, secret),
        sources,
        new SubscriptionSpec.Batching(b.maxBatchSize, interval),
        new SubscriptionSpec.Retry(b.maxRetries, b.retryAlgorithm, initial, max, b.onExhausted),
        alerting,
        rate == null ? null : new SubscriptionSpec.RateLimit(rate),
        new SubscriptionSpec.Delivery(b.ordering, b.maxInFlight, b.parallelism));
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? String.valueOf(d.toSeconds()) : (d.toMillis() / 1000.0) + "";
  }

  private static String shorten(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }

  private static String quote(@Nullable String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }
}
