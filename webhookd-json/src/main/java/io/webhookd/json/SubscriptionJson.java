package io.webhookd.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.ActivityEvent;
import io.webhookd.AdminStatus;
import io.webhookd.EngineInfo;
import io.webhookd.Health;
import io.webhookd.HealthDetails;
import io.webhookd.Masking;
import io.webhookd.OnExhausted;
import io.webhookd.OnlineState;
import io.webhookd.Ordering;
import io.webhookd.Problem;
import io.webhookd.RetryAlgorithm;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.ValidationException;
import io.webhookd.WebhookdException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The JSON documents of the REST API and of the stores: the seed's subscription document ({@code
 * POST 1/Subscription}), {@code WebhookStatus}, {@code WebhookAdmin}, the admin request, activity
 * events and health snapshots. Stateless and thread-safe.
 *
 * <h2>The subscription document</h2>
 *
 * <pre>{@code
 * {"name": "orders to billing", "active": "yes",
 *  "destination": {"kind": "webhook",
 *                  "webhook": {"url": "https://example.com/hook",
 *                              "headers": ["Authorization: Bearer abc"],
 *                              "signing_secret": "whsec_..."}},
 *  "source": [{"topic": "orders", "jmes_filters": ["value.amount > `100`"]}],
 *  "configuration": {
 *     "batching": {"max_batch_size": 100, "max_batch_interval_seconds": 1},
 *     "retry": {"max_retries": 3, "retry_algorithm": "exponential_backoff",
 *               "initial_delay_ms": 1000, "max_delay_ms": 60000,
 *               "on_exhausted": "keep_retrying"},
 *     "alerting": {"alert_channel": "email", "alert_emails": ["ops@example.com"]},
 *     "rate_limit": {"max_requests_per_second": 10},
 *     "ordering": "partition", "max_in_flight": 16, "parallelism": 1}}
 * }</pre>
 *
 * <p>Parsing is strict and reports every problem at once in a {@link ValidationException}: malformed
 * JSON (field {@code $}, with line and column), duplicate keys, unknown fields at any level, wrong
 * types (a string where an integer belongs, {@code 1.5} or {@code 1e40} for an integer), then the
 * rules of {@link SubscriptionSpec.Builder#build()}; a field is reported once. Documents larger than
 * {@value #MAX_DOCUMENT_BYTES} bytes or nested deeper than {@value #MAX_NESTING_DEPTH} levels are
 * refused. Absent optional parts take the builder's defaults; {@code null} in an optional field
 * means absent.
 *
 * <p>The read-only fields of a response ({@code id}, {@code kind}, {@code version}, {@code
 * created_at}, {@code updated_at}, {@code owner}) are accepted and ignored, so a client may send
 * back what it got from a {@code GET}. Masked secrets ({@code "Authorization: ****"}, {@code
 * "whsec_****"}, {@code https://example.com/hook?token=****}) are refused unless a previous spec
 * is given to {@link #parse(JsonNode, SubscriptionSpec)}, which maps each back to that spec's value
 * as {@link Masking} describes (a header by its position and name, a URL's parts by their place)
 * and refuses what cannot be mapped.
 *
 * <p>{@code max_batch_interval_seconds} is a whole number of seconds. The library accepts finer
 * intervals; such a spec is written with {@code max_batch_interval_ms} instead, which {@code parse}
 * also accepts (but not both).
 */
public final class SubscriptionJson {
  /** The largest document {@link #parse(byte[])} reads. */
  public static final int MAX_DOCUMENT_BYTES = 256 * 1024;

  /** The deepest nesting {@link #parse(byte[])} reads. */
  public static final int MAX_NESTING_DEPTH = 32;

  /** What a masked signing secret reads as. */
  public static final String MASKED_SIGNING_SECRET = "whsec_" + Masking.MASK;

  /** Top-level fields of a response that a request may carry and that are ignored. */
  public static final Set<String> READ_ONLY_FIELDS =
      Set.of("id", "kind", "version", "created_at", "updated_at", "owner");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_NESTING_DEPTH)
                          .maxDocumentLength(MAX_DOCUMENT_BYTES)
                          .maxStringLength(MAX_DOCUMENT_BYTES)
                          .maxNumberLength(100)
                          .maxNameLength(1000)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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
  private static final List<String> ADMIN_REQUEST = List.of("status", "offline_message");
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
  private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

  private SubscriptionJson() {}

  // ---------------------------------------------------------------------------------------------
  // The subscription document

  /**
   * Reads a subscription document.
   *
   * @throws ValidationException listing every problem of the document
   */
  public static SubscriptionSpec parse(byte[] json) {
    return parse(json, null);
  }

  /**
   * Reads a subscription document that replaces {@code previous} (a {@code PUT}): masked secrets
   * in it keep {@code previous}'s values.
   *
   * @throws ValidationException listing every problem of the document
   */
  public static SubscriptionSpec parse(byte[] json, @Nullable SubscriptionSpec previous) {
    return parse(readTree(json), previous);
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
   * Reads a subscription document already parsed (by a reader that should detect duplicate keys).
   *
   * @throws ValidationException listing every problem of the document
   */
  public static SubscriptionSpec parse(JsonNode json) {
    return parse(json, null);
  }

  /**
   * Reads a subscription document that replaces {@code previous}: masked secrets keep {@code
   * previous}'s values.
   *
   * @throws ValidationException listing every problem of the document
   */
  public static SubscriptionSpec parse(JsonNode json, @Nullable SubscriptionSpec previous) {
    Reader r = new Reader();
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
    throw new ValidationException(sorted(r.problems));
  }

  private static void readHeaders(
      Reader r, ObjectNode webhook, SubscriptionSpec.Builder b, @Nullable SubscriptionSpec previous) {
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
  private static @Nullable String readUrl(Reader r, ObjectNode webhook, @Nullable SubscriptionSpec previous) {
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

  /**
   * The seed's response document of a subscription: {@code id}, {@code "kind": "Webhook"}, every
   * field of the subscription document, {@code version}, {@code created_at} and {@code updated_at}
   * (ISO-8601, UTC). The owner is left out.
   *
   * @param maskSecrets true for responses: secrets masked as {@link Masking} says (header values
   *     but for a few never-secret headers, the URL's user info and query values) and the signing
   *     secret {@value #MASKED_SIGNING_SECRET}; false for storage: everything in full
   */
  public static ObjectNode toJson(Subscription s, boolean maskSecrets) {
    ObjectNode o = NODES.objectNode();
    o.put("id", s.id());
    o.put("kind", "Webhook");
    writeSpec(o, s.spec(), maskSecrets);
    o.put("version", s.version());
    o.put("created_at", s.createdAt().toString());
    o.put("updated_at", s.updatedAt().toString());
    return o;
  }

  /** The subscription document of a spec (no id, version or times). See {@link #toJson(Subscription, boolean)}. */
  public static ObjectNode toJson(SubscriptionSpec spec, boolean maskSecrets) {
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

  /** The error body of the REST API: {@code {"error": "…", "details": [{"field", "message"}]}}. */
  public static ObjectNode toJson(ValidationException e) {
    ObjectNode o = NODES.objectNode();
    o.put("error", e.problems().size() == 1 ? "the request has a problem" : "the request has " + e.problems().size() + " problems");
    ArrayNode details = o.putArray("details");
    for (Problem p : e.problems()) {
      details.addObject().put("field", p.field()).put("message", p.message());
    }
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Admin

  /**
   * Reads the body of {@code POST 1/EventNotificationAdmin}: {@code {"status": "online"|"offline",
   * "offline_message": "…"}}. {@code offline_message} is optional (at most 1000 characters).
   *
   * @param now the time the new state is set
   * @throws ValidationException listing every problem
   */
  public static OnlineState parseAdminState(byte[] json, Instant now) {
    JsonNode node = readTree(json);
    Reader r = new Reader();
    if (!node.isObject()) {
      throw new ValidationException(List.of(new Problem("$", "must be a JSON object, was " + describe(node))));
    }
    r.checkKnown((ObjectNode) node, "", ADMIN_REQUEST, Set.of("id", "kind", "webhooks"));
    String status = r.string(node, "status", "status");
    if (status == null && !r.isReported("status")) {
      r.problem("status", "is required: \"online\" or \"offline\"");
    } else if (status != null && !status.equals("online") && !status.equals("offline")) {
      r.problem("status", "must be \"online\" or \"offline\", was " + quote(status));
    }
    String message = r.string(node, "offline_message", "offline_message");
    if (message != null && message.length() > 1000) {
      r.problem("offline_message", "must be at most 1000 characters, was " + message.length());
    }
    if (!r.problems.isEmpty()) {
      throw new ValidationException(r.problems);
    }
    return new OnlineState("online".equals(status), message == null ? "" : message, now);
  }

  /**
   * The seed's {@code WebhookAdmin}: {@code id}, {@code "kind": "WebhookAdmin"}, {@code status}
   * (online or offline), {@code offline_message}, {@code updated_at}, and {@code webhooks}, an
   * array of {@code {id, name, timestamp, status, topics}}.
   *
   * @param id the id of the document (the server's instance id)
   */
  public static ObjectNode toJson(AdminStatus status, String id) {
    ObjectNode o = NODES.objectNode();
    o.put("id", id);
    o.put("kind", "WebhookAdmin");
    o.put("status", status.state().online() ? "online" : "offline");
    o.put("offline_message", status.state().offlineMessage());
    o.put("updated_at", status.state().updatedAt().toString());
    ArrayNode webhooks = o.putArray("webhooks");
    for (AdminStatus.Webhook w : status.webhooks()) {
      ObjectNode wo = webhooks.addObject();
      wo.put("id", w.id());
      wo.put("name", w.name());
      wo.put("timestamp", w.timestamp().toString());
      wo.put("status", w.health().wireName());
      ArrayNode topics = wo.putArray("topics");
      w.topics().forEach(topics::add);
    }
    return o;
  }

  /**
   * Reads a {@code WebhookAdmin} document written by {@link #toJson(AdminStatus, String)}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static AdminStatus parseAdminStatus(JsonNode json) {
    List<AdminStatus.Webhook> webhooks = new ArrayList<>();
    for (JsonNode w : req(json, "webhooks")) {
      List<String> topics = new ArrayList<>();
      req(w, "topics").forEach(t -> topics.add(t.asText()));
      webhooks.add(
          new AdminStatus.Webhook(
              text(w, "id"), text(w, "name"), instant(w, "timestamp"), health(w, "status"), topics));
    }
    String status = text(json, "status");
    JsonNode updated = json.get("updated_at");
    return new AdminStatus(
        new OnlineState(
            status.equals("online"),
            optText(json, "offline_message", ""),
            updated == null || updated.isNull() ? Instant.EPOCH : instant(json, "updated_at")),
        webhooks);
  }

  /** An admin state for storage: {@code {status, offline_message, updated_at}}. */
  public static ObjectNode toJson(OnlineState state) {
    ObjectNode o = NODES.objectNode();
    o.put("status", state.online() ? "online" : "offline");
    o.put("offline_message", state.offlineMessage());
    o.put("updated_at", state.updatedAt().toString());
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Status, health, activity

  /**
   * The seed's {@code WebhookStatus}: {@code id}, {@code "kind": "WebhookStatus"}, {@code name},
   * {@code active}, {@code payload_url}, {@code timestamp}, {@code status}, {@code
   * recent_activity} (newest first), plus the facts of {@link HealthDetails} ({@code
   * status_since}, {@code last_success_at}, {@code last_failure_at}, {@code consecutive_failures},
   * {@code last_response_code}, {@code last_error}, {@code delivered}, {@code failed_attempts},
   * {@code last_alert}, {@code last_alert_at}, {@code last_alert_sent}) and {@code consumer_lag}.
   * Absent facts are left out. The URL and the activity are masked (again: records stored by an
   * earlier version may have been masked by narrower rules).
   */
  public static ObjectNode toJson(SubscriptionStatus status) {
    ObjectNode o = NODES.objectNode();
    o.put("id", status.id());
    o.put("kind", "WebhookStatus");
    o.put("name", status.name());
    o.put("active", status.active() ? "yes" : "no");
    o.put("payload_url", Masking.maskUrlText(status.payloadUrl()));
    o.put("timestamp", status.timestamp().toString());
    writeHealth(o, status.details(), status.health());
    if (status.consumerLag() != null) {
      o.put("consumer_lag", status.consumerLag());
    }
    ArrayNode engines = o.putArray("engines");
    status.engines().forEach(engines::add);
    ArrayNode activity = o.putArray("recent_activity");
    // masked again: records written by an older webhookd masked less (the rules only widen)
    status.recentActivity().forEach(e -> activity.add(masked(toJson(e))));
    return o;
  }

  private static ObjectNode masked(ObjectNode event) {
    JsonNode request = event.get("request");
    if (request != null && request.isTextual()) {
      event.put("request", MaskedValues.maskRequestLine(request.textValue()));
    }
    for (String field : List.of("request_headers", "response_headers")) {
      if (event.get(field) instanceof ArrayNode a) {
        for (int i = 0; i < a.size(); i++) {
          a.set(i, MaskedValues.maskHeaderLine(a.get(i).asText()));
        }
      }
    }
    return event;
  }

  /**
   * Reads a {@code WebhookStatus} written by {@link #toJson(SubscriptionStatus)}. The health of
   * its details is its {@code status}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static SubscriptionStatus parseStatus(JsonNode json) {
    HealthDetails details = parseHealth(json);
    List<ActivityEvent> activity = new ArrayList<>();
    JsonNode a = json.get("recent_activity");
    if (a != null && a.isArray()) {
      a.forEach(e -> activity.add(parseActivity(e)));
    }
    List<String> engines = new ArrayList<>();
    JsonNode en = json.get("engines");
    if (en != null && en.isArray()) {
      en.forEach(e -> engines.add(e.asText()));
    }
    return new SubscriptionStatus(
        text(json, "id"),
        text(json, "name"),
        text(json, "active").equals("yes"),
        text(json, "payload_url"),
        instant(json, "timestamp"),
        details.deliveryHealth(),
        details,
        optLong(json, "consumer_lag"),
        activity,
        null,
        engines);
  }

  /**
   * The engines of {@code GET /1/Engines}: {@code [{"id", "host", "started_at", "last_seen",
   * "subscriptions"}]}, in the given order.
   */
  public static ArrayNode toJson(List<EngineInfo> engines) {
    ArrayNode a = NODES.arrayNode();
    for (EngineInfo e : engines) {
      a.addObject()
          .put("id", e.id())
          .put("host", e.host())
          .put("started_at", e.startedAt().toString())
          .put("last_seen", e.lastSeen().toString())
          .put("subscriptions", e.subscriptions());
    }
    return a;
  }

  /**
   * A health snapshot: {@code status}, {@code status_since} and, when known, the other facts
   * named as in {@link #toJson(SubscriptionStatus)}.
   */
  public static ObjectNode toJson(HealthDetails health) {
    ObjectNode o = NODES.objectNode();
    writeHealth(o, health, health.deliveryHealth());
    return o;
  }

  private static void writeHealth(ObjectNode o, HealthDetails h, Health shown) {
    o.put("status", shown.wireName());
    o.put("status_since", h.since().toString());
    putInstant(o, "last_success_at", h.lastSuccessAt());
    putInstant(o, "last_failure_at", h.lastFailureAt());
    o.put("consecutive_failures", h.consecutiveFailures());
    if (h.lastResponseCode() != null) {
      o.put("last_response_code", h.lastResponseCode());
    }
    if (h.lastError() != null) {
      o.put("last_error", h.lastError());
    }
    o.put("delivered", h.delivered());
    o.put("failed_attempts", h.failedAttempts());
    if (h.lastAlert() != null) {
      o.put("last_alert", h.lastAlert());
    }
    putInstant(o, "last_alert_at", h.lastAlertAt());
    o.put("last_alert_sent", h.lastAlertSent());
  }

  /**
   * Reads a health snapshot written by {@link #toJson(HealthDetails)}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static HealthDetails parseHealth(JsonNode json) {
    Long code = optLong(json, "last_response_code");
    return new HealthDetails(
        health(json, "status"),
        instant(json, "status_since"),
        optInstant(json, "last_success_at"),
        optInstant(json, "last_failure_at"),
        (int) optLong(json, "consecutive_failures", 0),
        code == null ? null : code.intValue(),
        optText(json, "last_error", null),
        optLong(json, "delivered", 0),
        optLong(json, "failed_attempts", 0),
        optText(json, "last_alert", null),
        optInstant(json, "last_alert_at"),
        json.path("last_alert_sent").asBoolean(false));
  }

  /**
   * One entry of {@code recent_activity}: {@code timestamp}, {@code event} (api_call, active,
   * inactive), and when known {@code request}, {@code request_headers}, {@code response_code},
   * {@code response_body}, {@code response_headers}, {@code message}, {@code batch_size}, {@code
   * duration_ms}, {@code batch_id}. For {@code api_call} the header arrays and {@code response_code} are always
   * present: the seed's int, 0 when no response came (the error is then the {@code
   * response_body}).
   */
  public static ObjectNode toJson(ActivityEvent e) {
    ObjectNode o = NODES.objectNode();
    o.put("timestamp", e.timestamp().toString());
    o.put("event", e.type().wireName());
    boolean call = e.type() == ActivityEvent.Type.API_CALL;
    if (e.request() != null) {
      o.put("request", e.request());
    }
    if (call || !e.requestHeaders().isEmpty()) {
      ArrayNode a = o.putArray("request_headers");
      e.requestHeaders().forEach(a::add);
    }
    if (e.responseCode() != null) {
      o.put("response_code", e.responseCode());
    } else if (call) {
      // the seed's shape: an int; 0 when no response came, with the error as the body
      o.put("response_code", 0);
    }
    if (e.responseBody() != null) {
      o.put("response_body", e.responseBody());
    } else if (call && e.responseCode() == null && e.message() != null) {
      o.put("response_body", e.message());
    }
    if (call || !e.responseHeaders().isEmpty()) {
      ArrayNode a = o.putArray("response_headers");
      e.responseHeaders().forEach(a::add);
    }
    if (e.message() != null) {
      o.put("message", e.message());
    }
    if (e.batchSize() != null) {
      o.put("batch_size", e.batchSize());
    }
    if (e.durationMillis() != null) {
      o.put("duration_ms", e.durationMillis());
    }
    if (e.batchId() != null) {
      o.put("batch_id", e.batchId());
    }
    return o;
  }

  /**
   * Reads an activity event written by {@link #toJson(ActivityEvent)}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static ActivityEvent parseActivity(JsonNode json) {
    String event = text(json, "event");
    ActivityEvent.Type type = ActivityEvent.Type.fromWireName(event);
    if (type == null) {
      throw new WebhookdException(
          "event must be one of "
              + java.util.Arrays.stream(ActivityEvent.Type.values()).map(ActivityEvent.Type::wireName).toList()
              + ", was "
              + quote(event));
    }
    Long code = optLong(json, "response_code");
    Long size = optLong(json, "batch_size");
    return new ActivityEvent(
        instant(json, "timestamp"),
        type,
        optText(json, "request", null),
        textList(json, "request_headers"),
        code == null ? null : code.intValue(),
        optText(json, "response_body", null),
        textList(json, "response_headers"),
        optText(json, "message", null),
        size == null ? null : size.intValue(),
        optLong(json, "duration_ms"),
        optText(json, "batch_id", null));
  }

  /**
   * Parses JSON text with this class's limits (size, depth, duplicate keys).
   *
   * @throws ValidationException with one problem at {@code $} (or at the duplicated key)
   */
  public static JsonNode readTree(byte[] json) {
    if (json.length > MAX_DOCUMENT_BYTES) {
      throw new ValidationException(
          List.of(new Problem("$", "must be at most " + MAX_DOCUMENT_BYTES + " bytes, was " + json.length)));
    }
    try {
      JsonNode node = MAPPER.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new ValidationException(List.of(new Problem("$", "must be a JSON object, was empty")));
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ValidationException(List.of(problemOf(e)));
    } catch (IOException e) {
      throw new ValidationException(List.of(new Problem("$", "could not be read: " + e.getMessage())));
    }
  }

  private static Problem problemOf(JsonProcessingException e) {
    JsonLocation loc = e.getLocation();
    String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    String original = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
    if (original.length() > 200) {
      original = original.substring(0, 200) + "…";
    }
    if (e instanceof StreamConstraintsException) {
      return new Problem("$", "is too large or too deeply nested (" + original + ")" + where);
    }
    if (original.toLowerCase(Locale.ROOT).contains("duplicate") && e.getProcessor() instanceof JsonParser p) {
      String field = pathOf(p.getParsingContext().pathAsPointer());
      return new Problem(field.isEmpty() ? "$" : field, "is given more than once (duplicate key)" + where);
    }
    return new Problem("$", "is not valid JSON: " + original + where);
  }

  private static String pathOf(JsonPointer pointer) {
    StringBuilder sb = new StringBuilder();
    for (JsonPointer p = pointer; p != null && !p.matches(); p = p.tail()) {
      if (p.getMatchingIndex() >= 0 && sb.length() > 0) {
        sb.append('[').append(p.getMatchingIndex()).append(']');
      } else {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(p.getMatchingProperty());
      }
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static List<Problem> sorted(List<Problem> problems) {
    List<Problem> out = new ArrayList<>(problems);
    out.sort(
        Comparator.<Problem>comparingInt(p -> rank(p.field()))
            .thenComparing(p -> padIndexes(p.field())));
    return out;
  }

  /** The position of the field (without indexes) or of its closest known parent. */
  private static int rank(String field) {
    String plain = INDEX.matcher(field).replaceAll("");
    int best = 0;
    int bestLength = -1;
    for (int i = 0; i < FIELD_ORDER.size(); i++) {
      String f = FIELD_ORDER.get(i);
      if ((plain.equals(f) || plain.startsWith(f + ".")) && f.length() > bestLength) {
        best = i;
        bestLength = f.length();
      }
    }
    return best;
  }

  private static String padIndexes(String field) {
    return INDEX.matcher(field).replaceAll(m -> String.format(Locale.ROOT, "[%09d]", Long.parseLong(m.group(1)) % 1_000_000_000L));
  }

  private static String describe(@Nullable JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    if (node.isObject()) {
      return "an object";
    }
    if (node.isArray()) {
      return "an array";
    }
    if (node.isNull()) {
      return "null";
    }
    String s = node.toString();
    return s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }

  private static String quote(@Nullable String s) {
    if (s == null) {
      return "null";
    }
    return "\"" + (s.length() > 100 ? s.substring(0, 100) + "…" : s) + "\"";
  }

  private static void putInstant(ObjectNode o, String field, @Nullable Instant at) {
    if (at != null) {
      o.put(field, at.toString());
    }
  }

  private static JsonNode req(JsonNode json, String field) {
    JsonNode n = json.get(field);
    if (n == null || n.isNull()) {
      throw new WebhookdException("\"" + field + "\" is required");
    }
    return n;
  }

  private static String text(JsonNode json, String field) {
    JsonNode n = req(json, field);
    if (!n.isTextual()) {
      throw new WebhookdException("\"" + field + "\" must be a string, was " + describe(n));
    }
    return n.textValue();
  }

  private static @Nullable String optText(JsonNode json, String field, @Nullable String fallback) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? fallback : n.asText();
  }

  private static List<String> textList(JsonNode json, String field) {
    JsonNode n = json.get(field);
    List<String> out = new ArrayList<>();
    if (n != null && n.isArray()) {
      n.forEach(e -> out.add(e.asText()));
    }
    return out;
  }

  private static @Nullable Long optLong(JsonNode json, String field) {
    JsonNode n = json.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.canConvertToLong() || !n.isIntegralNumber()) {
      throw new WebhookdException("\"" + field + "\" must be an integer, was " + describe(n));
    }
    return n.longValue();
  }

  private static long optLong(JsonNode json, String field, long fallback) {
    Long v = optLong(json, field);
    return v == null ? fallback : v;
  }

  private static Instant instant(JsonNode json, String field) {
    String s = text(json, field);
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new WebhookdException("\"" + field + "\" must be an ISO-8601 time, was " + quote(s));
    }
  }

  private static @Nullable Instant optInstant(JsonNode json, String field) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? null : instant(json, field);
  }

  private static Health health(JsonNode json, String field) {
    String s = text(json, field);
    for (Health h : Health.values()) {
      if (h.wireName().equals(s)) {
        return h;
      }
    }
    throw new WebhookdException("\"" + field + "\" must be healthy, unhealthy or inactive, was " + quote(s));
  }

  /** Reads typed fields and collects problems. Not thread-safe; one per parse. */
  private static final class Reader {
    final List<Problem> problems = new ArrayList<>();
    private final Set<String> reported = new HashSet<>();

    void problem(String field, String message) {
      problems.add(new Problem(field, message));
      reported.add(field);
    }

    /** Whether the field, or a field that contains it, has a problem already. */
    boolean isReported(String field) {
      for (String r : reported) {
        if (field.equals(r) || field.startsWith(r + ".") || field.startsWith(r + "[")) {
          return true;
        }
      }
      return false;
    }

    void checkKnown(ObjectNode node, String path, List<String> known, Set<String> ignored) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        String name = field.getKey();
        if (!known.contains(name) && !ignored.contains(name)) {
          String shown = name.length() > 100 ? name.substring(0, 100) + "…" : name;
          problem(
              path.isEmpty() ? shown : path + "." + shown,
              "is not a known field; known fields are " + String.join(", ", known));
        }
      }
    }

    private static @Nullable JsonNode child(JsonNode parent, String key) {
      JsonNode n = parent.get(key);
      return n == null || n.isNull() ? null : n;
    }

    @Nullable ObjectNode object(JsonNode parent, String key, String path, boolean required, List<String> known) {
      JsonNode n = child(parent, key);
      if (n == null) {
        if (required) {
          problem(path, "is required");
        }
        return null;
      }
      if (!n.isObject()) {
        problem(path, "must be an object, was " + describe(n));
        return null;
      }
      checkKnown((ObjectNode) n, path, known, Set.of());
      return (ObjectNode) n;
    }

    @Nullable ArrayNode array(JsonNode parent, String key, String path) {
      JsonNode n = child(parent, key);
      if (n == null) {
        return null;
      }
      if (!n.isArray()) {
        problem(path, "must be an array, was " + describe(n));
        return null;
      }
      return (ArrayNode) n;
    }

    @Nullable String string(JsonNode parent, String key, String path) {
      JsonNode n = child(parent, key);
      if (n == null) {
        return null;
      }
      if (!n.isTextual()) {
        problem(path, "must be a string, was " + describe(n));
        return null;
      }
      // JSON may escape half a surrogate pair ("\ud800"); no encoding can store or send it
      String surrogate = TextRules.loneSurrogate(n.textValue());
      if (surrogate != null) {
        problem(path, "must not contain " + surrogate);
        return null;
      }
      return n.textValue();
    }

    /** The strings of an array; a non-string element is a problem and reads as {@code placeholder}. */
    List<String> strings(JsonNode parent, String key, String path, String placeholder) {
      ArrayNode a = array(parent, key, path);
      List<String> out = new ArrayList<>();
      if (a == null) {
        return out;
      }
      for (int i = 0; i < a.size(); i++) {
        JsonNode e = a.get(i);
        String surrogate = e.isTextual() ? TextRules.loneSurrogate(e.textValue()) : null;
        if (surrogate != null) {
          problem(path + "[" + i + "]", "must not contain " + surrogate);
          out.add(placeholder);
        } else if (e.isTextual()) {
          out.add(e.textValue());
        } else {
          problem(path + "[" + i + "]", "must be a string, was " + describe(e));
          out.add(placeholder);
        }
      }
      return out;
    }

    @Nullable Integer integer(JsonNode parent, String key, String path) {
      JsonNode n = child(parent, key);
      if (n == null) {
        return null;
      }
      if (!n.isNumber() || !n.isIntegralNumber()) {
        problem(path, "must be an integer, was " + describe(n));
        return null;
      }
      if (!n.canConvertToInt()) {
        problem(path, "must be an integer between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE + ", was " + describe(n));
        return null;
      }
      return n.intValue();
    }

    /** A finite number; {@code rule} says what is expected ("must be a number between ..."). */
    @Nullable Double number(JsonNode parent, String key, String path, String rule) {
      JsonNode n = child(parent, key);
      if (n == null) {
        return null;
      }
      if (!n.isNumber()) {
        problem(path, "must be a number, was " + describe(n));
        return null;
      }
      double d = n.doubleValue();
      if (Double.isInfinite(d) || Double.isNaN(d)) {
        problem(path, rule + ", was " + describe(n));
        return null;
      }
      return d;
    }
  }
}
