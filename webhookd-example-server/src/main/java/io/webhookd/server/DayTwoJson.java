package io.webhookd.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.DeadLetter;
import io.webhookd.FilterPreview;
import io.webhookd.Masking;
import io.webhookd.Position;
import io.webhookd.Problem;
import io.webhookd.ReplayFrom;
import io.webhookd.SubscriptionSpec;
import io.webhookd.TestDelivery;
import io.webhookd.ValidationException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The JSON documents of the day-2 operations (issue 15): dead letters, redeliver, skip, replay,
 * test message and filter preview, in and out. Stateless and thread-safe.
 *
 * <p>Reading is strict like the subscription document's: every problem at once, in a {@link
 * ValidationException} (field path, rule, value): unknown fields, wrong types, missing fields.
 * Writing masks what could carry a secret: error texts may hold a URL, whose user info and query
 * values are masked ({@link Masking#maskUrlText}).
 */
final class DayTwoJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Kafka's rule for topic names. */
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  private static final Pattern URL_IN_TEXT = Pattern.compile("(?i)\\b(?:https?|wss?|ftp)://[^\\s\"'<>]+");
  /** The most dead letter ids one redeliver request may name. */
  static final int MAX_IDS = 1000;
  /** The most sources one filter preview may have. */
  static final int MAX_SOURCES = 20;
  /** The most filters one source of a preview may have. */
  static final int MAX_FILTERS = 20;
  /** The {@code limit} of a preview that names none. */
  static final int DEFAULT_PREVIEW_LIMIT = 200;
  /** The most characters of an id (dead letter, batch, cursor) read. */
  static final int MAX_ID_LENGTH = 200;

  private DayTwoJson() {}

  // ---------------------------------------------------------------------------------------------
  // Dead letters

  /** {@code {"dead_letters": [...], "next": "<cursor>"|null}}. */
  static ObjectNode toJson(DeadLetter.Page page) {
    ObjectNode o = NODES.objectNode();
    ArrayNode list = o.putArray("dead_letters");
    page.deadLetters().forEach(d -> list.add(toJson(d)));
    if (page.next() == null) {
      o.putNull("next");
    } else {
      o.put("next", page.next());
    }
    return o;
  }

  /**
   * One dead letter: where it came from, the record's key, value and headers as the wire format
   * has them (the value is the payload's JSON when it is JSON; {@code value_encoding} says when
   * it is base64), and the failure.
   */
  static ObjectNode toJson(DeadLetter d) {
    ObjectNode o = NODES.objectNode();
    o.put("id", d.id());
    o.put("topic", d.topic());
    o.put("partition", d.partition());
    o.put("offset", d.offset());
    o.put("timestamp", d.timestamp().toString());
    JsonNode message = parseMessage(d.message());
    o.set("key", message.has("key") ? message.get("key") : NODES.nullNode());
    o.set("value", message.has("value") ? message.get("value") : NODES.nullNode());
    if (message.hasNonNull("value_encoding")) {
      o.set("value_encoding", message.get("value_encoding"));
    }
    o.set("headers", message.get("headers") instanceof ObjectNode h ? h : NODES.objectNode());
    if (d.statusCode() == null) {
      o.putNull("status_code");
    } else {
      o.put("status_code", d.statusCode());
    }
    putNullable(o, "error", d.error() == null ? null : maskUrls(d.error()));
    o.put("attempts", d.attempts());
    o.put("batch_id", d.batchId());
    o.put("reason", d.reason());
    o.put("dead_lettered_at", d.deadLetteredAt().toString());
    return o;
  }

  /**
   * The body of {@code POST …/DeadLetters/Redeliver}: {@code {}} for all of them (returns null),
   * or {@code {"ids": ["…", …]}} (1 to {@value #MAX_IDS} ids).
   */
  static @Nullable List<String> parseRedeliver(JsonNode body) {
    List<Problem> problems = new ArrayList<>();
    if (!object(body, problems)) {
      throw new ValidationException(problems);
    }
    unknown(body, Set.of("ids"), "", problems);
    JsonNode ids = body.get("ids");
    List<String> out = null;
    if (ids != null && !ids.isNull()) {
      if (!ids.isArray()) {
        problems.add(new Problem("ids", "must be an array of dead letter ids, was " + describe(ids)));
      } else if (ids.isEmpty()) {
        problems.add(new Problem("ids", "must hold at least one id (send {} to redeliver every dead letter)"));
      } else if (ids.size() > MAX_IDS) {
        problems.add(new Problem("ids", "must hold at most " + MAX_IDS + " ids, was " + ids.size()));
      } else {
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < ids.size(); i++) {
          String id = id(ids.get(i), "ids[" + i + "]", problems);
          if (id != null) {
            seen.add(id);
          }
        }
        out = List.copyOf(seen);
      }
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(problems);
    }
    return out;
  }

  /** {@code {"redelivering": n}}. */
  static ObjectNode redelivering(int n) {
    return NODES.objectNode().put("redelivering", n);
  }

  // ---------------------------------------------------------------------------------------------
  // Skip

  /** The body of {@code POST …/Skip}: {@code {"batch_id": "…"}}; returns the batch id. */
  static String parseSkip(JsonNode body) {
    List<Problem> problems = new ArrayList<>();
    if (!object(body, problems)) {
      throw new ValidationException(problems);
    }
    unknown(body, Set.of("batch_id"), "", problems);
    JsonNode b = body.get("batch_id");
    String batchId = null;
    if (b == null || b.isNull()) {
      problems.add(new Problem("batch_id", "is required: the id of the failing batch (the batch_id of its api_call entries in the Status's recent_activity)"));
    } else {
      batchId = id(b, "batch_id", problems);
    }
    if (!problems.isEmpty() || batchId == null) {
      throw new ValidationException(problems);
    }
    return batchId;
  }

  /** {@code {"skipped": "<batch id>"}}. */
  static ObjectNode skipped(String batchId) {
    return NODES.objectNode().put("skipped", batchId);
  }

  // ---------------------------------------------------------------------------------------------
  // Replay

  /**
   * The body of {@code POST …/Replay}: {@code {"from": "earliest"}}, {@code {"from": "latest"}},
   * {@code {"from": {"timestamp": "2026-11-29T10:00:00Z"}}} or {@code {"from": {"offsets":
   * [{"topic", "partition", "offset"}]}}}.
   */
  static ReplayFrom parseReplay(JsonNode body) {
    List<Problem> problems = new ArrayList<>();
    if (!object(body, problems)) {
      throw new ValidationException(problems);
    }
    unknown(body, Set.of("from"), "", problems);
    JsonNode from = body.get("from");
    ReplayFrom out = null;
    if (from == null || from.isNull()) {
      problems.add(new Problem("from", "is required: \"earliest\", \"latest\", {\"timestamp\": \"2026-11-29T10:00:00Z\"} or {\"offsets\": [{\"topic\", \"partition\", \"offset\"}]}"));
    } else if (from.isTextual()) {
      switch (from.textValue()) {
        case "earliest" -> out = ReplayFrom.earliest();
        case "latest" -> out = ReplayFrom.latest();
        default -> problems.add(new Problem("from", "must be \"earliest\", \"latest\" or an object with timestamp or offsets, was " + describe(from)));
      }
    } else if (from.isObject()) {
      unknown(from, Set.of("timestamp", "offsets"), "from.", problems);
      JsonNode ts = from.get("timestamp");
      JsonNode offsets = from.get("offsets");
      boolean hasTs = ts != null && !ts.isNull();
      boolean hasOffsets = offsets != null && !offsets.isNull();
      if (hasTs && hasOffsets) {
        problems.add(new Problem("from", "must have either timestamp or offsets, not both"));
      } else if (!hasTs && !hasOffsets) {
        problems.add(new Problem("from", "must have timestamp (an ISO-8601 instant such as \"2026-11-29T10:00:00Z\") or offsets"));
      } else if (hasTs) {
        out = timestamp(ts, problems);
      } else {
        out = offsets(offsets, problems);
      }
    } else {
      problems.add(new Problem("from", "must be \"earliest\", \"latest\" or an object with timestamp or offsets, was " + describe(from)));
    }
    if (!problems.isEmpty() || out == null) {
      throw new ValidationException(problems);
    }
    return out;
  }

  private static @Nullable ReplayFrom timestamp(JsonNode ts, List<Problem> problems) {
    if (!ts.isTextual()) {
      problems.add(new Problem("from.timestamp", "must be an ISO-8601 instant such as \"2026-11-29T10:00:00Z\", was " + describe(ts)));
      return null;
    }
    try {
      Instant at = Instant.parse(ts.textValue());
      if (at.toEpochMilli() < 0) {
        problems.add(new Problem("from.timestamp", "must not be before 1970-01-01T00:00:00Z, was " + describe(ts)));
        return null;
      }
      return ReplayFrom.at(at);
    } catch (DateTimeParseException | ArithmeticException e) {
      problems.add(new Problem("from.timestamp", "must be an ISO-8601 instant in UTC such as \"2026-11-29T10:00:00Z\", was " + describe(ts)));
      return null;
    }
  }

  private static @Nullable ReplayFrom offsets(JsonNode offsets, List<Problem> problems) {
    if (!offsets.isArray() || offsets.isEmpty()) {
      problems.add(new Problem("from.offsets", "must be a non-empty array of {\"topic\", \"partition\", \"offset\"}, was " + describe(offsets)));
      return null;
    }
    if (offsets.size() > 10_000) {
      problems.add(new Problem("from.offsets", "must hold at most 10000 positions, was " + offsets.size()));
      return null;
    }
    List<Position> positions = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    int before = problems.size();
    for (int i = 0; i < offsets.size(); i++) {
      String at = "from.offsets[" + i + "]";
      JsonNode p = offsets.get(i);
      if (!p.isObject()) {
        problems.add(new Problem(at, "must be an object {\"topic\", \"partition\", \"offset\"}, was " + describe(p)));
        continue;
      }
      unknown(p, Set.of("topic", "partition", "offset"), at + ".", problems);
      String topic = topic(p.get("topic"), at + ".topic", problems);
      Long partition = integer(p.get("partition"), at + ".partition", 0, Integer.MAX_VALUE, problems);
      Long offset = integer(p.get("offset"), at + ".offset", 0, Long.MAX_VALUE, problems);
      if (topic != null && partition != null && offset != null) {
        if (!seen.add(topic + "/" + partition)) {
          problems.add(new Problem(at, "names partition " + topic + "/" + partition + " a second time"));
        } else {
          positions.add(new Position(topic, partition.intValue(), offset));
        }
      }
    }
    return problems.size() == before ? ReplayFrom.offsets(positions) : null;
  }

  /** {@code {"positions": [{"topic", "partition", "offset"}]}}. */
  static ObjectNode positions(List<Position> positions) {
    ObjectNode o = NODES.objectNode();
    ArrayNode list = o.putArray("positions");
    for (Position p : positions) {
      list.addObject().put("topic", p.topic()).put("partition", p.partition()).put("offset", p.offset());
    }
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Test message

  /** {@code {"status_code", "duration_ms", "response_body", "error"}}. */
  static ObjectNode toJson(TestDelivery t) {
    ObjectNode o = NODES.objectNode();
    if (t.statusCode() == null) {
      o.putNull("status_code");
    } else {
      o.put("status_code", t.statusCode());
    }
    o.put("duration_ms", t.durationMillis());
    putNullable(o, "response_body", t.responseBody());
    putNullable(o, "error", t.error() == null ? null : maskUrls(t.error()));
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Filter preview

  /** A parsed preview request. */
  record PreviewRequest(List<SubscriptionSpec.Source> sources, int limit) {}

  /**
   * The body of {@code POST /1/FilterPreview}: {@code {"source": [{"topic", "jmes_filters"}],
   * "limit": 200}}. {@code limit} (1 to 1000, default {@value #DEFAULT_PREVIEW_LIMIT}) is how
   * many of each topic's last records are examined. Filters are not checked here: one that does
   * not compile is reported in the source's {@code errors}, so a page can preview as the user
   * types.
   */
  static PreviewRequest parsePreview(JsonNode body) {
    List<Problem> problems = new ArrayList<>();
    if (!object(body, problems)) {
      throw new ValidationException(problems);
    }
    unknown(body, Set.of("source", "limit"), "", problems);
    int limit = DEFAULT_PREVIEW_LIMIT;
    JsonNode l = body.get("limit");
    if (l != null && !l.isNull()) {
      Long v = integer(l, "limit", 1, 1000, problems);
      if (v != null) {
        limit = v.intValue();
      }
    }
    List<SubscriptionSpec.Source> sources = new ArrayList<>();
    JsonNode source = body.get("source");
    if (source == null || source.isNull()) {
      problems.add(new Problem("source", "is required: [{\"topic\": \"orders\", \"jmes_filters\": [\"value.amount > `100`\"]}]"));
    } else if (!source.isArray() || source.isEmpty()) {
      problems.add(new Problem("source", "must be a non-empty array of {\"topic\", \"jmes_filters\"}, was " + describe(source)));
    } else if (source.size() > MAX_SOURCES) {
      problems.add(new Problem("source", "must hold at most " + MAX_SOURCES + " sources, was " + source.size()));
    } else {
      for (int i = 0; i < source.size(); i++) {
        String at = "source[" + i + "]";
        JsonNode s = source.get(i);
        if (!s.isObject()) {
          problems.add(new Problem(at, "must be an object {\"topic\", \"jmes_filters\"}, was " + describe(s)));
          continue;
        }
        unknown(s, Set.of("topic", "jmes_filters"), at + ".", problems);
        String topic = topic(s.get("topic"), at + ".topic", problems);
        List<String> filters = new ArrayList<>();
        JsonNode f = s.get("jmes_filters");
        boolean filtersOk = true;
        if (f != null && !f.isNull()) {
          if (!f.isArray()) {
            problems.add(new Problem(at + ".jmes_filters", "must be an array of JMESPath expressions, was " + describe(f)));
            filtersOk = false;
          } else if (f.size() > MAX_FILTERS) {
            problems.add(new Problem(at + ".jmes_filters", "must hold at most " + MAX_FILTERS + " filters, was " + f.size()));
            filtersOk = false;
          } else {
            for (int j = 0; j < f.size(); j++) {
              JsonNode e = f.get(j);
              if (!e.isTextual()) {
                problems.add(new Problem(at + ".jmes_filters[" + j + "]", "must be a JMESPath expression (a string), was " + describe(e)));
                filtersOk = false;
              } else if (e.textValue().length() > 4096) {
                problems.add(new Problem(at + ".jmes_filters[" + j + "]", "must be at most 4096 characters, was " + e.textValue().length()));
                filtersOk = false;
              } else {
                filters.add(e.textValue());
              }
            }
          }
        }
        if (topic != null && filtersOk) {
          sources.add(new SubscriptionSpec.Source(topic, filters));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(problems);
    }
    return new PreviewRequest(sources, limit);
  }

  /**
   * {@code {"sources": [{"topic", "examined", "matched", "samples", "errors", "warnings"}]}}, each
   * sample the wire format's message object.
   */
  static ObjectNode toJson(FilterPreview preview) {
    ObjectNode o = NODES.objectNode();
    ArrayNode list = o.putArray("sources");
    for (FilterPreview.Source s : preview.sources()) {
      ObjectNode e = list.addObject();
      e.put("topic", s.topic());
      e.put("examined", s.examined());
      e.put("matched", s.matched());
      ArrayNode samples = e.putArray("samples");
      s.samples().forEach(m -> samples.add(parseMessage(m)));
      ArrayNode errors = e.putArray("errors");
      s.errors().forEach(x -> errors.add(maskUrls(x)));
      ArrayNode warnings = e.putArray("warnings");
      s.warnings().forEach(warnings::add);
    }
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The text with every URL in it masked (user info and query values). */
  static String maskUrls(String text) {
    Matcher m = URL_IN_TEXT.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(Masking.maskUrlText(m.group())));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** A message object of the wire format, or, should the text not be one, an object saying so. */
  private static JsonNode parseMessage(String text) {
    try {
      JsonNode n = JSON.readTree(text);
      if (n instanceof ObjectNode) {
        return n;
      }
    } catch (JsonProcessingException e) {
      // fall through: stored by something other than webhookd's encoder
    }
    return NODES.objectNode().put("value", text);
  }

  private static boolean object(JsonNode body, List<Problem> problems) {
    if (body == null || !body.isObject()) {
      problems.add(new Problem("$", "must be a JSON object, was " + describe(body)));
      return false;
    }
    return true;
  }

  private static void unknown(JsonNode n, Set<String> known, String prefix, List<Problem> problems) {
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      String f = it.next().getKey();
      if (!known.contains(f)) {
        problems.add(new Problem(prefix + shorten(f), "is not a known field (known: " + String.join(", ", known.stream().sorted().toList()) + ")"));
      }
    }
  }

  private static @Nullable String id(@Nullable JsonNode n, String field, List<Problem> problems) {
    if (n == null || !n.isTextual() || n.textValue().isBlank()) {
      problems.add(new Problem(field, "must be a non-empty string, was " + describe(n)));
      return null;
    }
    String s = n.textValue();
    if (s.length() > MAX_ID_LENGTH || s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      problems.add(new Problem(field, "must be at most " + MAX_ID_LENGTH + " printable characters, was " + describe(n)));
      return null;
    }
    return s;
  }

  private static @Nullable String topic(@Nullable JsonNode n, String field, List<Problem> problems) {
    if (n == null || n.isNull()) {
      problems.add(new Problem(field, "is required (a topic name)"));
      return null;
    }
    if (!n.isTextual() || !TOPIC.matcher(n.textValue()).matches() || n.textValue().equals(".") || n.textValue().equals("..")) {
      problems.add(new Problem(field, "must be a Kafka topic name (1 to 249 letters, digits, '.', '_' or '-'), was " + describe(n)));
      return null;
    }
    return n.textValue();
  }

  private static @Nullable Long integer(@Nullable JsonNode n, String field, long min, long max, List<Problem> problems) {
    if (n == null || n.isNull()) {
      problems.add(new Problem(field, "is required (an integer)"));
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
      problems.add(new Problem(field, "must be an integer between " + min + " and " + max + ", was " + describe(n)));
      return null;
    }
    return n.longValue();
  }

  private static void putNullable(ObjectNode o, String field, @Nullable String value) {
    if (value == null) {
      o.putNull(field);
    } else {
      o.put(field, value);
    }
  }

  static String describe(@Nullable JsonNode node) {
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
    return RestApi.printable(s.length() > 100 ? s.substring(0, 100) + "…" : s);
  }

  private static String shorten(String s) {
    return RestApi.printable(s.length() > 100 ? s.substring(0, 100) + "…" : s);
  }
}
