package io.webhookd.json;

import static io.webhookd.json.StoredFields.health;
import static io.webhookd.json.StoredFields.instant;
import static io.webhookd.json.StoredFields.optText;
import static io.webhookd.json.StoredFields.req;
import static io.webhookd.json.StoredFields.text;
import static io.webhookd.json.StrictReader.describe;
import static io.webhookd.json.StrictReader.quote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.AdminStatus;
import io.webhookd.OnlineState;
import io.webhookd.Problem;
import io.webhookd.ValidationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The documents of the server's online state: the admin request ({@code POST
 * 1/EventNotificationAdmin}, read strictly), {@code WebhookAdmin} (the state and each webhook's
 * health) and the stored state. Thread-safe.
 */
final class AdminDocument {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final List<String> ADMIN_REQUEST = List.of("status", "offline_message");

  private AdminDocument() {}

  /**
   * Reads the admin request. See {@link SubscriptionJson#parseAdminState(byte[], Instant)}.
   *
   * @throws ValidationException listing every problem
   */
  static OnlineState parseRequest(byte[] json, Instant now) {
    JsonNode node = StrictReader.readTree(json);
    StrictReader r = new StrictReader();
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

  /** {@code WebhookAdmin}. See {@link SubscriptionJson#toJson(AdminStatus, String)}. */
  static ObjectNode toJson(AdminStatus status, String id) {
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
   * @throws io.webhookd.WebhookdException when a field is missing or malformed
   */
  static AdminStatus parseStatus(JsonNode json) {
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
  static ObjectNode toJson(OnlineState state) {
    ObjectNode o = NODES.objectNode();
    o.put("status", state.online() ? "online" : "offline");
    o.put("offline_message", state.offlineMessage());
    o.put("updated_at", state.updatedAt().toString());
    return o;
  }
}
