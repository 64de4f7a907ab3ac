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
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.Problem;
import io.webhookd.ValidationException;
import java.io.IOException;
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
 * The strict reading of a request document: JSON text within the limits of {@link SubscriptionJson}
 * ({@value SubscriptionJson#MAX_DOCUMENT_BYTES} bytes, {@value SubscriptionJson#MAX_NESTING_DEPTH}
 * levels, no duplicate key, nothing after the value), then typed fields read one by one, each
 * wrong type, unknown field or broken string collected as a {@link Problem} rather than thrown, so
 * that a request hears of every problem at once, in document order ({@link #sorted}).
 *
 * <p>An instance collects the problems of one parse and is not thread-safe; the static methods
 * are.
 */
final class StrictReader {
  private static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(SubscriptionJson.MAX_NESTING_DEPTH)
                          .maxDocumentLength(SubscriptionJson.MAX_DOCUMENT_BYTES)
                          .maxStringLength(SubscriptionJson.MAX_DOCUMENT_BYTES)
                          .maxNumberLength(100)
                          .maxNameLength(1000)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

  final List<Problem> problems = new ArrayList<>();
  private final Set<String> reported = new HashSet<>();

  // ---------------------------------------------------------------------------------------------
  // JSON text

  /**
   * Parses JSON text within the limits (size, depth, duplicate keys).
   *
   * @throws ValidationException with one problem at {@code $} (or at the duplicated key)
   */
  static JsonNode readTree(byte[] json) {
    if (json.length > SubscriptionJson.MAX_DOCUMENT_BYTES) {
      throw new ValidationException(
          List.of(new Problem("$", "must be at most " + SubscriptionJson.MAX_DOCUMENT_BYTES + " bytes, was " + json.length)));
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
  // Problems

  /**
   * The problems in document order: by the position in {@code fieldOrder} of the field (without
   * indexes) or of its closest listed parent, then by field with indexes in numeric order.
   */
  static List<Problem> sorted(List<Problem> problems, List<String> fieldOrder) {
    List<Problem> out = new ArrayList<>(problems);
    out.sort(
        Comparator.<Problem>comparingInt(p -> rank(p.field(), fieldOrder))
            .thenComparing(p -> padIndexes(p.field())));
    return out;
  }

  /** The position of the field (without indexes) or of its closest known parent. */
  private static int rank(String field, List<String> fieldOrder) {
    String plain = INDEX.matcher(field).replaceAll("");
    int best = 0;
    int bestLength = -1;
    for (int i = 0; i < fieldOrder.size(); i++) {
      String f = fieldOrder.get(i);
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

  /** A JSON value as a message shows it: its kind, or its text cut at 100 characters. */
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
    return s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }

  /** A string as a message shows it: quoted, cut at 100 characters. */
  static String quote(@Nullable String s) {
    if (s == null) {
      return "null";
    }
    return "\"" + (s.length() > 100 ? s.substring(0, 100) + "…" : s) + "\"";
  }

  // ---------------------------------------------------------------------------------------------
  // Typed fields

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
