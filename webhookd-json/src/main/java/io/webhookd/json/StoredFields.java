package io.webhookd.json;

import static io.webhookd.json.StrictReader.describe;
import static io.webhookd.json.StrictReader.quote;

import com.fasterxml.jackson.databind.JsonNode;
import io.webhookd.Health;
import io.webhookd.WebhookdException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Typed fields of the documents this module writes and reads back (the stores' documents): unlike
 * a request, such a document is expected to be well formed, so the first missing or malformed
 * field is a {@link WebhookdException}. Thread-safe.
 */
final class StoredFields {
  private StoredFields() {}

  static JsonNode req(JsonNode json, String field) {
    JsonNode n = json.get(field);
    if (n == null || n.isNull()) {
      throw new WebhookdException("\"" + field + "\" is required");
    }
    return n;
  }

  static String text(JsonNode json, String field) {
    JsonNode n = req(json, field);
    if (!n.isTextual()) {
      throw new WebhookdException("\"" + field + "\" must be a string, was " + describe(n));
    }
    return n.textValue();
  }

  static @Nullable String optText(JsonNode json, String field, @Nullable String fallback) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? fallback : n.asText();
  }

  static List<String> textList(JsonNode json, String field) {
    JsonNode n = json.get(field);
    List<String> out = new ArrayList<>();
    if (n != null && n.isArray()) {
      n.forEach(e -> out.add(e.asText()));
    }
    return out;
  }

  static @Nullable Long optLong(JsonNode json, String field) {
    JsonNode n = json.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.canConvertToLong() || !n.isIntegralNumber()) {
      throw new WebhookdException("\"" + field + "\" must be an integer, was " + describe(n));
    }
    return n.longValue();
  }

  static long optLong(JsonNode json, String field, long fallback) {
    Long v = optLong(json, field);
    return v == null ? fallback : v;
  }

  static Instant instant(JsonNode json, String field) {
    String s = text(json, field);
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new WebhookdException("\"" + field + "\" must be an ISO-8601 time, was " + quote(s));
    }
  }

  static @Nullable Instant optInstant(JsonNode json, String field) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? null : instant(json, field);
  }

  static Health health(JsonNode json, String field) {
    String s = text(json, field);
    for (Health h : Health.values()) {
      if (h.wireName().equals(s)) {
        return h;
      }
    }
    throw new WebhookdException("\"" + field + "\" must be healthy, unhealthy or inactive, was " + quote(s));
  }
}
