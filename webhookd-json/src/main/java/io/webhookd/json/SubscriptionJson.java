package io.webhookd.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.ActivityEvent;
import io.webhookd.AdminStatus;
import io.webhookd.EngineInfo;
import io.webhookd.HealthDetails;
import io.webhookd.Masking;
import io.webhookd.OnlineState;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.ValidationException;
import io.webhookd.WebhookdException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The JSON documents of the REST API and of the stores, shaped as the original Go webhookd's: the
 * subscription document ({@code POST 1/Subscription}), {@code WebhookStatus}, {@code
 * WebhookAdmin}, the admin request, activity events and health snapshots; and the engine list and
 * the error body. Stateless and thread-safe.
 *
 * <p>This class is the front door; each document is read and written by a package-private class
 * of its own, and every request document is read by the same strict reader.
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

  private SubscriptionJson() {}

  // ---------------------------------------------------------------------------------------------
  // The subscription document (SubscriptionDocument)

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
    return SubscriptionDocument.parse(StrictReader.readTree(json), previous);
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
    return SubscriptionDocument.parse(json, previous);
  }

  /**
   * The REST API's response document of a subscription: {@code id}, {@code "kind": "Webhook"},
   * every field of the subscription document, {@code version}, {@code created_at} and {@code updated_at}
   * (ISO-8601, UTC). The owner is left out.
   *
   * @param maskSecrets true for responses: secrets masked as {@link Masking} says (header values
   *     but for a few never-secret headers, the URL's user info and query values) and the signing
   *     secret {@value #MASKED_SIGNING_SECRET}; false for storage: everything in full
   */
  public static ObjectNode toJson(Subscription s, boolean maskSecrets) {
    return SubscriptionDocument.toJson(s, maskSecrets);
  }

  /** The subscription document of a spec (no id, version or times). See {@link #toJson(Subscription, boolean)}. */
  public static ObjectNode toJson(SubscriptionSpec spec, boolean maskSecrets) {
    return SubscriptionDocument.toJson(spec, maskSecrets);
  }

  // ---------------------------------------------------------------------------------------------
  // The error body (ErrorDocument)

  /** The error body of the REST API: {@code {"error": "…", "details": [{"field", "message"}]}}. */
  public static ObjectNode toJson(ValidationException e) {
    return ErrorDocument.toJson(e);
  }

  // ---------------------------------------------------------------------------------------------
  // Admin (AdminDocument)

  /**
   * Reads the body of {@code POST 1/EventNotificationAdmin}: {@code {"status": "online"|"offline",
   * "offline_message": "…"}}. {@code offline_message} is optional (at most 1000 characters).
   *
   * @param now the time the new state is set
   * @throws ValidationException listing every problem
   */
  public static OnlineState parseAdminState(byte[] json, Instant now) {
    return AdminDocument.parseRequest(json, now);
  }

  /**
   * The REST API's {@code WebhookAdmin} document: {@code id}, {@code "kind": "WebhookAdmin"},
   * {@code status} (online or offline), {@code offline_message}, {@code updated_at}, and {@code
   * webhooks}, an array of {@code {id, name, timestamp, status, topics}}.
   *
   * @param id the id of the document (the server's instance id)
   */
  public static ObjectNode toJson(AdminStatus status, String id) {
    return AdminDocument.toJson(status, id);
  }

  /**
   * Reads a {@code WebhookAdmin} document written by {@link #toJson(AdminStatus, String)}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static AdminStatus parseAdminStatus(JsonNode json) {
    return AdminDocument.parseStatus(json);
  }

  /** An admin state for storage: {@code {status, offline_message, updated_at}}. */
  public static ObjectNode toJson(OnlineState state) {
    return AdminDocument.toJson(state);
  }

  // ---------------------------------------------------------------------------------------------
  // Status and engines (StatusDocument), health (HealthDocument), activity (ActivityDocument)

  /**
   * The REST API's {@code WebhookStatus} document: {@code id}, {@code "kind": "WebhookStatus"},
   * {@code name}, {@code active}, {@code payload_url}, {@code timestamp}, {@code status}, {@code
   * recent_activity} (newest first), plus the facts of {@link HealthDetails} ({@code
   * status_since}, {@code last_success_at}, {@code last_failure_at}, {@code consecutive_failures},
   * {@code last_response_code}, {@code last_error}, {@code delivered}, {@code failed_attempts},
   * {@code last_alert}, {@code last_alert_at}, {@code last_alert_sent}) and {@code consumer_lag}.
   * Absent facts are left out. The URL and the activity are masked (again: records stored by an
   * earlier version may have been masked by narrower rules).
   */
  public static ObjectNode toJson(SubscriptionStatus status) {
    return StatusDocument.toJson(status);
  }

  /**
   * Reads a {@code WebhookStatus} written by {@link #toJson(SubscriptionStatus)}. The health of
   * its details is its {@code status}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static SubscriptionStatus parseStatus(JsonNode json) {
    return StatusDocument.parse(json);
  }

  /**
   * The engines of {@code GET /1/Engines}: {@code [{"id", "host", "started_at", "last_seen",
   * "subscriptions"}]}, in the given order.
   */
  public static ArrayNode toJson(List<EngineInfo> engines) {
    return StatusDocument.toJson(engines);
  }

  /**
   * A health snapshot: {@code status}, {@code status_since} and, when known, the other facts
   * named as in {@link #toJson(SubscriptionStatus)}.
   */
  public static ObjectNode toJson(HealthDetails health) {
    return HealthDocument.toJson(health);
  }

  /**
   * Reads a health snapshot written by {@link #toJson(HealthDetails)}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static HealthDetails parseHealth(JsonNode json) {
    return HealthDocument.parse(json);
  }

  /**
   * One entry of {@code recent_activity}: {@code timestamp}, {@code event} (api_call, active,
   * inactive), and when known {@code request}, {@code request_headers}, {@code response_code},
   * {@code response_body}, {@code response_headers}, {@code message}, {@code batch_size}, {@code
   * duration_ms}, {@code batch_id}. For {@code api_call} the header arrays and {@code
   * response_code} are always present, the code an int as in the original Go webhookd's documents:
   * 0 when no response came (the error is then the {@code response_body}).
   */
  public static ObjectNode toJson(ActivityEvent e) {
    return ActivityDocument.toJson(e);
  }

  /**
   * Reads an activity event written by {@link #toJson(ActivityEvent)}.
   *
   * @throws WebhookdException when a field is missing or malformed
   */
  public static ActivityEvent parseActivity(JsonNode json) {
    return ActivityDocument.parse(json);
  }

  // ---------------------------------------------------------------------------------------------
  // JSON text (StrictReader)

  /**
   * Parses JSON text with this class's limits (size, depth, duplicate keys).
   *
   * @throws ValidationException with one problem at {@code $} (or at the duplicated key)
   */
  public static JsonNode readTree(byte[] json) {
    return StrictReader.readTree(json);
  }
}
