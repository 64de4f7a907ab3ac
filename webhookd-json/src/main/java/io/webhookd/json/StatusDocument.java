package io.webhookd.json;

import static io.webhookd.json.StoredFields.instant;
import static io.webhookd.json.StoredFields.optLong;
import static io.webhookd.json.StoredFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.ActivityEvent;
import io.webhookd.EngineInfo;
import io.webhookd.HealthDetails;
import io.webhookd.Masking;
import io.webhookd.SubscriptionStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * The REST API's {@code WebhookStatus} document of one subscription (its health, lag, engines and
 * recent activity, masked), and the engine list of {@code GET /1/Engines}. Thread-safe.
 */
final class StatusDocument {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private StatusDocument() {}

  /** {@code WebhookStatus}. See {@link SubscriptionJson#toJson(SubscriptionStatus)}. */
  static ObjectNode toJson(SubscriptionStatus status) {
    ObjectNode o = NODES.objectNode();
    o.put("id", status.id());
    o.put("kind", "WebhookStatus");
    o.put("name", status.name());
    o.put("active", status.active() ? "yes" : "no");
    o.put("payload_url", Masking.maskUrlText(status.payloadUrl()));
    o.put("timestamp", status.timestamp().toString());
    HealthDocument.write(o, status.details(), status.health());
    if (status.consumerLag() != null) {
      o.put("consumer_lag", status.consumerLag());
    }
    ArrayNode engines = o.putArray("engines");
    status.engines().forEach(engines::add);
    ArrayNode activity = o.putArray("recent_activity");
    // masked again: records written by an older webhookd masked less (the rules only widen)
    status.recentActivity().forEach(e -> activity.add(masked(ActivityDocument.toJson(e))));
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
   * Reads a {@code WebhookStatus} written by {@link #toJson(SubscriptionStatus)}.
   *
   * @throws io.webhookd.WebhookdException when a field is missing or malformed
   */
  static SubscriptionStatus parse(JsonNode json) {
    HealthDetails details = HealthDocument.parse(json);
    List<ActivityEvent> activity = new ArrayList<>();
    JsonNode a = json.get("recent_activity");
    if (a != null && a.isArray()) {
      a.forEach(e -> activity.add(ActivityDocument.parse(e)));
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

  /** The engines of {@code GET /1/Engines}. See {@link SubscriptionJson#toJson(List)}. */
  static ArrayNode toJson(List<EngineInfo> engines) {
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
}
