package io.webhookd.json;

import static io.webhookd.json.StoredFields.instant;
import static io.webhookd.json.StoredFields.optLong;
import static io.webhookd.json.StoredFields.optText;
import static io.webhookd.json.StoredFields.text;
import static io.webhookd.json.StoredFields.textList;
import static io.webhookd.json.StrictReader.quote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.ActivityEvent;
import io.webhookd.WebhookdException;

/**
 * One activity event as a document: an entry of {@code WebhookStatus}'s {@code recent_activity},
 * and the form the stores keep it in. Thread-safe.
 */
final class ActivityDocument {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ActivityDocument() {}

  /** An activity event. See {@link SubscriptionJson#toJson(ActivityEvent)}. */
  static ObjectNode toJson(ActivityEvent e) {
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
      // the original webhookd's shape: an int; 0 when no response came, with the error as the body
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
  static ActivityEvent parse(JsonNode json) {
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
}
