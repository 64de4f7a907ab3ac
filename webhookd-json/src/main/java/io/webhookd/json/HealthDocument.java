package io.webhookd.json;

import static io.webhookd.json.StoredFields.health;
import static io.webhookd.json.StoredFields.instant;
import static io.webhookd.json.StoredFields.optInstant;
import static io.webhookd.json.StoredFields.optLong;
import static io.webhookd.json.StoredFields.optText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.Health;
import io.webhookd.HealthDetails;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A subscription's health as a document: a snapshot of its own (stored), and the same facts
 * written into {@code WebhookStatus}. Thread-safe.
 */
final class HealthDocument {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private HealthDocument() {}

  /** A health snapshot. See {@link SubscriptionJson#toJson(HealthDetails)}. */
  static ObjectNode toJson(HealthDetails health) {
    ObjectNode o = NODES.objectNode();
    write(o, health, health.deliveryHealth());
    return o;
  }
  /** Writes the facts of {@code h} into {@code o}, with {@code shown} as its {@code status}. */
  static void write(ObjectNode o, HealthDetails h, Health shown) {
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
   * Reads a health snapshot written by {@link #toJson(HealthDetails)}, or the health facts of a
   * {@code WebhookStatus}.
   *
   * @throws io.webhookd.WebhookdException when a field is missing or malformed
   */
  static HealthDetails parse(JsonNode json) {
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

  private static void putInstant(ObjectNode o, String field, @Nullable Instant at) {
    if (at != null) {
      o.put(field, at.toString());
    }
  }
}
