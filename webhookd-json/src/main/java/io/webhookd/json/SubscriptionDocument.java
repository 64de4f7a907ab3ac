package io.webhookd.json;

import static io.webhookd.json.StrictReader.describe;
import static io.webhookd.json.StrictReader.quote;
import static io.webhookd.json.SubscriptionJson.MASKED_SIGNING_SECRET;
import static io.webhookd.json.SubscriptionJson.READ_ONLY_FIELDS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.Masking;
import io.webhookd.OnExhausted;
import io.webhookd.Ordering;
import io.webhookd.Problem;
import io.webhookd.RetryAlgorithm;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.ValidationException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The subscription document, described in {@link SubscriptionJson}: read strictly into a {@link
 * SubscriptionSpec} (masked secrets sent back mapped to the previous spec's values, or refused),
 * and written from a spec or a {@link Subscription}, masked for responses or in full for storage.
 * Thread-safe.
 */
final class SubscriptionDocument {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final List<String> ROOT = List.of("name", "active", "destination", "source", "configuration");
  private static final List<String> DESTINATION = List.of("kind", "webhook");
  private static final List<String> WEBHOOK = List.of("url", "headers", "signing_secret");
  private static final List<String> SOURCE = List.of("topic", "jmes_filters");
  private static final List<String> CONFIGURATION = List.of("batching", "retry", "alerting", "rate_limit", "ordering", "max_in_flight", "parallelism");
  private static final List<String> BATCHING =
      List.of("max_batch_size", "max_batch_interval_seconds", "max_batch_interval_ms");
  private static final List<String> RETRY =
      List.of("max_retries", "retry_algorithm", "initial_delay_ms", "max_delay_ms", "on_exhausted");
  private static final List<String> ALERTING = List.of("alert_channel", "alert_emails");
  private static final List<String> RATE_LIMIT = List.of("max_requests_per_second");
  /** Every field in document order: problems are listed in this order. */
  private static final List<String> FIELD_ORDER =
      List.of(
          "$", "name", "active", "destination", "destination.kind", "destination.webhook",
          "destination.webhook.url", "destination.webhook.headers",
          "destination.webhook.signing_secret", "source", "source.topic", "source.jmes_filters",
          "configuration", "configuration.batching", "configuration.batching.max_batch_size",
          "configuration.batching.max_batch_interval_seconds",
          "configuration.batching.max_batch_interval_ms", "configuration.retry",
          "configuration.retry.max_retries", "configuration.retry.retry_algorithm",
          "configuration.retry.initial_delay_ms", "configuration.retry.max_delay_ms",
          "configuration.retry.on_exhausted", "configuration.alerting", "configuration.alerting.alert_channel",
          "configuration.alerting.alert_emails", "configuration.rate_limit",
          "configuration.rate_limit.max_requests_per_second", "configuration.ordering",
          "configuration.max_in_flight", "configuration.parallelism");

  private SubscriptionDocument() {}

  /**
   * Reads a subscription document; masked secrets keep {@code previous}'s values. See {@link
   * SubscriptionJson#parse(JsonNode, SubscriptionSpec)}.
   *
   * @throws ValidationException listing every problem of the document
   */
  static SubscriptionSpec parse(@Nullable JsonNode json, @Nullable SubscriptionSpec previous) {
    StrictReader r = new StrictReader();
    if (json == null || !json.isObject()) {
      throw new ValidationException(
          List.of(new Problem("$", "must be a JSON object, was " + describe(json))));
    }
    ObjectNode root = (ObjectNode) json;
    r.checkKnown(root, "", ROOT, READ_ONLY_FIELDS);
    SubscriptionSpec.Builder b = SubscriptionSpec.builder();

    b.name(r.string(root, "name", "name"));
    String active = r.string(root, "active", "active");
    if (active != null) {
      if (active.equals("yes") || active.equals("no")) {
        b.active(active.equals("yes"));
      } else {
        r.problem("active", "must be \"yes\" or \"no\", was " + quote(active));
      }
    }

    ObjectNode destination = r.object(root, "destination", "destination", true, DESTINATION);
    if (destination != null) {
      String kind = r.string(destination, "kind", "destination.kind");
      if (kind != null && !kind.equals("webhook")) {
        r.problem("destination.kind", "must be \"webhook\", was " + quote(kind));
      }
      ObjectNode webhook =
          r.object(destination, "webhook", "destination.webhook", true, WEBHOOK);
      if (webhook != null) {
        String url = readUrl(r, webhook, previous);
        b.webhookUrl(url);
        String scheme = url == null ? null : schemeOf(url);
        if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
          // the library takes any scheme it has a destination for; the REST API's webhooks are HTTP
          r.problem("destination.webhook.url", "must be an http or https URL, its scheme was " + quote(scheme));
        }
        readHeaders(r, webhook, b, previous);
        String secret = r.string(webhook, "signing_secret", "destination.webhook.signing_secret");
        if (secret != null && secret.equals(MASKED_SIGNING_SECRET)) {
          if (previous != null && previous.destination().signingSecret() != null) {
            secret = previous.destination().signingSecret();
          } else {
            r.problem(
                "destination.webhook.signing_secret",
                "is masked (" + MASKED_SIGNING_SECRET + "); send the secret itself");
            secret = null;
          }
        }
        b.signingSecret(secret);
      }
    }

    ArrayNode sources = r.array(root, "source", "source");
    if (sources != null) {
      for (int i = 0; i < sources.size(); i++) {
        String path = "source[" + i + "]";
        JsonNode s = sources.get(i);
        if (!s.isObject()) {
          r.problem(path, "must be an object with \"topic\" and \"jmes_filters\", was " + describe(s));
          b.source("", List.of());
          continue;
        }
        r.checkKnown((ObjectNode) s, path, SOURCE, Set.of());
        String topic = r.string(s, "topic", path + ".topic");
        if (topic == null && !r.isReported(path + ".topic")) {
          r.problem(path + ".topic", "is required");
        }
        List<String> filters = r.strings(s, "jmes_filters", path + ".jmes_filters", "@");
        b.source(topic == null ? "" : topic, filters);
      }
    }

    ObjectNode configuration =
        r.object(root, "configuration", "configuration", false, CONFIGURATION);
    boolean intervalInMillis = false;
    if (configuration != null) {
      ObjectNode batching =
          r.object(configuration, "batching", "configuration.batching", false, BATCHING);
      if (batching != null) {
        Integer size = r.integer(batching, "max_batch_size", "configuration.batching.max_batch_size");
        if (size != null) {
          b.maxBatchSize(size);
        }
        Integer seconds =
            r.integer(
                batching,
                "max_batch_interval_seconds",
                "configuration.batching.max_batch_interval_seconds");
        Integer millis =
            r.integer(batching, "max_batch_interval_ms", "configuration.batching.max_batch_interval_ms");
        if (seconds != null && millis != null) {
          r.problem(
              "configuration.batching.max_batch_interval_ms",
              "must not be given together with max_batch_interval_seconds");
        } else if (seconds != null) {
          b.maxBatchInterval(Duration.ofSeconds(seconds));
        } else if (millis != null) {
          b.maxBatchInterval(Duration.ofMillis(millis));
          intervalInMillis = true;
        }
      }
      ObjectNode retry = r.object(configuration, "retry", "configuration.retry", false, RETRY);
      if (retry != null) {
        Integer retries = r.integer(retry, "max_retries", "configuration.retry.max_retries");
        if (retries != null) {
          b.maxRetries(retries);
        }
        String algorithm = r.string(retry, "retry_algorithm", "configuration.retry.retry_algorithm");
        if (algorithm != null) {
          RetryAlgorithm a = RetryAlgorithm.fromWireName(algorithm);
          if (a == null) {
            r.problem(
                "configuration.retry.retry_algorithm",
                "must be \"exponential_backoff\" or \"fixed_time\", was " + quote(algorithm));
          } else {
            b.retryAlgorithm(a);
          }
        }
        Integer initial = r.integer(retry, "initial_delay_ms", "configuration.retry.initial_delay_ms");
        if (initial != null) {
          b.retryInitialDelay(Duration.ofMillis(initial));
        }
        Integer max = r.integer(retry, "max_delay_ms", "configuration.retry.max_delay_ms");
        if (max != null) {
          b.retryMaxDelay(Duration.ofMillis(max));
        }
        String exhausted = r.string(retry, "on_exhausted", "configuration.retry.on_exhausted");
        if (exhausted != null) {
          OnExhausted o = OnExhausted.fromWireName(exhausted);
          if (o == null) {
            r.problem(
                "configuration.retry.on_exhausted",
                "must be \"keep_retrying\" or \"dead_letter\", was " + quote(exhausted));
          } else {
            b.onExhausted(o);
          }
        }
      }
      String ordering = r.string(configuration, "ordering", "configuration.ordering");
      if (ordering != null) {
        Ordering o = Ordering.fromWireName(ordering);
        if (o == null) {
          r.problem(
              "configuration.ordering",
              "must be \"partition\", \"key\" or \"none\", was " + quote(ordering));
        } else {
          b.ordering(o);
        }
      }
      Integer inFlight = r.integer(configuration, "max_in_flight", "configuration.max_in_flight");
      if (inFlight != null) {
        b.maxInFlight(inFlight);
      }
      Integer parallelism = r.integer(configuration, "parallelism", "configuration.parallelism");
      if (parallelism != null) {
        b.parallelism(parallelism);
      }
      ObjectNode alerting =
          r.object(configuration, "alerting", "configuration.alerting", false, ALERTING);
      if (alerting != null) {
        String channel = r.string(alerting, "alert_channel", "configuration.alerting.alert_channel");
        List<String> emails =
            r.strings(alerting, "alert_emails", "configuration.alerting.alert_emails", "");
        b.alerting(new SubscriptionSpec.Alerting(channel == null ? "email" : channel, emails));
      }
      ObjectNode rate =
          r.object(configuration, "rate_limit", "configuration.rate_limit", false, RATE_LIMIT);
      if (rate != null) {
        String path = "configuration.rate_limit.max_requests_per_second";
        Double perSecond = r.number(rate, "max_requests_per_second", path, TextRules.rateRule());
        if (perSecond == null && !r.isReported(path)) {
          r.problem(path, "is required when rate_limit is given (leave rate_limit out for no limit)");
        }
        b.rateLimit(perSecond);
      }
    }

    try {
      SubscriptionSpec spec = b.build();
      if (r.problems.isEmpty()) {
        return spec;
      }
    } catch (ValidationException e) {
      for (Problem p : e.problems()) {
        String field = p.field();
        if (intervalInMillis && field.equals("configuration.batching.max_batch_interval_seconds")) {
          field = "configuration.batching.max_batch_interval_ms";
        }
        if (!r.isReported(field)) {
          r.problems.add(new Problem(field, p.message()));
        }
      }
    }
    throw new ValidationException(StrictReader.sorted(r.problems, FIELD_ORDER));
  }

  private static void readHeaders(
      StrictReader r, ObjectNode webhook, SubscriptionSpec.Builder b, @Nullable SubscriptionSpec previous) {
    String path = "destination.webhook.headers";
    ArrayNode headers = r.array(webhook, "headers", path);
    if (headers == null) {
      return;
    }
    for (int i = 0; i < headers.size(); i++) {
      String p = path + "[" + i + "]";
      JsonNode h = headers.get(i);
      if (!h.isTextual()) {
        r.problem(p, "must be a string \"Name: value\", was " + describe(h));
        b.header("X-Invalid", "");
        continue;
      }
      String text = h.textValue();
      int colon = text.indexOf(':');
      if (colon < 0) {
        // The text may be a secret: do not echo it.
        r.problem(p, "must be \"Name: value\" with a ':' after the name (" + text.length() + " characters, no ':')");
        b.header("X-Invalid", "");
        continue;
      }
      String name = text.substring(0, colon).strip();
      String value = text.substring(colon + 1).strip();
      if (MaskedValues.isMaskedHeaderValue(name, value)) {
        // A masked value stands for the stored header at the same position with the same name,
        // never for the first header of that name: two headers may share a name.
        List<SubscriptionSpec.Header> stored =
            previous == null ? List.of() : previous.destination().headers();
        SubscriptionSpec.Header old = i < stored.size() ? stored.get(i) : null;
        String restored =
            old != null && old.name().equalsIgnoreCase(name) ? MaskedValues.unmaskHeaderValue(value, old.value()) : null;
        if (restored == null) {
          String why =
              previous == null ? "there is no stored subscription to take it from"
                  : old == null ? "the stored subscription has no header at position " + i
                  : !old.name().equalsIgnoreCase(name) ? "the stored header at position " + i + " is " + quote(old.name())
                  : "the stored value at position " + i + " does not start with that scheme";
          r.problem(
              p,
              "value of " + quote(name) + " is masked (" + value + ") and cannot be mapped back ("
                  + why + "; a masked value stands only for the stored header at the same position"
                  + " with the same name): send the value itself");
          b.header(name.isEmpty() ? "X-Invalid" : name, "");
          continue;
        }
        value = restored;
      }
      b.header(name, value);
    }
  }

  /**
   * The URL of a document; a masked URL sent back stands for the stored one ({@link
   * MaskedValues#unmaskUrl}), and one that cannot be mapped back is a problem, never a guess.
   */
  private static @Nullable String readUrl(StrictReader r, ObjectNode webhook, @Nullable SubscriptionSpec previous) {
    String path = "destination.webhook.url";
    String text = r.string(webhook, "url", path);
    if (text == null) {
      return null;
    }
    java.net.URI sent;
    try {
      sent = new java.net.URI(text);
    } catch (java.net.URISyntaxException e) {
      return text; // the spec's rules describe what is wrong with it
    }
    if (!MaskedValues.hasMaskedParts(sent)) {
      return text;
    }
    java.net.URI restored = previous == null ? null : MaskedValues.unmaskUrl(sent, previous.destination().url());
    if (restored == null) {
      r.problem(
          path,
          previous == null
              ? "is masked (" + Masking.MASK + " in its user info or query); send the URL itself"
              : "is masked (" + Masking.MASK + ") but cannot be mapped back to the stored URL: a masked"
                  + " query value stands only for the stored parameter at the same position with the"
                  + " same name, and masked parts only while scheme, host and port are unchanged;"
                  + " send the URL itself, was " + quote(Masking.maskUrl(sent)));
      return null;
    }
    return restored.toString();
  }

  /** The scheme of an absolute URL, lower case; {@code null} when it has none or does not parse. */
  private static @Nullable String schemeOf(String url) {
    try {
      String scheme = new java.net.URI(url).getScheme();
      return scheme == null ? null : scheme.toLowerCase(java.util.Locale.ROOT);
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  /**
   * The response document of a subscription. See {@link SubscriptionJson#toJson(Subscription,
   * boolean)}.
   */
  static ObjectNode toJson(Subscription s, boolean maskSecrets) {
    ObjectNode o = NODES.objectNode();
    o.put("id", s.id());
    o.put("kind", "Webhook");
    writeSpec(o, s.spec(), maskSecrets);
    o.put("version", s.version());
    o.put("created_at", s.createdAt().toString());
    o.put("updated_at", s.updatedAt().toString());
    return o;
  }

  /** The subscription document of a spec (no id, version or times). */
  static ObjectNode toJson(SubscriptionSpec spec, boolean maskSecrets) {
    ObjectNode o = NODES.objectNode();
    writeSpec(o, spec, maskSecrets);
    return o;
  }

  private static void writeSpec(ObjectNode o, SubscriptionSpec spec, boolean mask) {
    o.put("name", spec.name());
    o.put("active", spec.active() ? "yes" : "no");
    ObjectNode destination = o.putObject("destination");
    destination.put("kind", "webhook");
    ObjectNode webhook = destination.putObject("webhook");
    webhook.put("url", mask ? Masking.maskUrl(spec.destination().url()) : spec.destination().url().toString());
    ArrayNode headers = webhook.putArray("headers");
    for (SubscriptionSpec.Header h : spec.destination().headers()) {
      headers.add(mask ? h.masked() : h.name() + ": " + h.value());
    }
    String secret = spec.destination().signingSecret();
    if (secret != null) {
      webhook.put("signing_secret", mask ? MASKED_SIGNING_SECRET : secret);
    }
    ArrayNode sources = o.putArray("source");
    for (SubscriptionSpec.Source s : spec.sources()) {
      ObjectNode so = sources.addObject();
      so.put("topic", s.topic());
      ArrayNode filters = so.putArray("jmes_filters");
      s.jmesFilters().forEach(filters::add);
    }
    ObjectNode configuration = o.putObject("configuration");
    ObjectNode batching = configuration.putObject("batching");
    batching.put("max_batch_size", spec.batching().maxBatchSize());
    Duration interval = spec.batching().maxBatchInterval();
    if (interval.toMillis() % 1000 == 0) {
      batching.put("max_batch_interval_seconds", interval.toSeconds());
    } else {
      batching.put("max_batch_interval_ms", interval.toMillis());
    }
    ObjectNode retry = configuration.putObject("retry");
    retry.put("max_retries", spec.retry().maxRetries());
    retry.put("retry_algorithm", spec.retry().algorithm().wireName());
    retry.put("initial_delay_ms", spec.retry().initialDelay().toMillis());
    retry.put("max_delay_ms", spec.retry().maxDelay().toMillis());
    retry.put("on_exhausted", spec.retry().onExhausted().wireName());
    if (spec.alerting() != null) {
      ObjectNode alerting = configuration.putObject("alerting");
      alerting.put("alert_channel", spec.alerting().channel());
      ArrayNode emails = alerting.putArray("alert_emails");
      spec.alerting().emails().forEach(emails::add);
    }
    if (spec.rateLimit() != null) {
      configuration.putObject("rate_limit")
          .put("max_requests_per_second", spec.rateLimit().maxRequestsPerSecond());
    }
    configuration.put("ordering", spec.delivery().ordering().wireName());
    configuration.put("max_in_flight", spec.delivery().maxInFlight());
    configuration.put("parallelism", spec.delivery().parallelism());
  }
}
