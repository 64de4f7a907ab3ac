package io.webhookd.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.WebhookdException;
import io.webhookd.json.SubscriptionJson;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * A subscription as the {@code spec} column holds it: the full JSON document ({@link
 * SubscriptionJson}) with the webhook URL, every header value and the signing secret encrypted by
 * the {@link SecretCipher}, the subscription id their associated data. Thread-safe.
 */
final class EncryptedSpecs {
  private final SecretCipher cipher;

  EncryptedSpecs(SecretCipher cipher) {
    this.cipher = cipher;
  }

  /** The full JSON form with the URL, every header value and the signing secret encrypted. */
  String encode(Subscription s) {
    ObjectNode json = SubscriptionJson.toJson(s, false);
    ObjectNode webhook = (ObjectNode) json.path("destination").path("webhook");
    webhook.put("url", cipher.encrypt(webhook.path("url").asText(), s.id()));
    ArrayNode headers = (ArrayNode) webhook.path("headers");
    for (int i = 0; i < headers.size(); i++) {
      String h = headers.get(i).asText();
      int colon = h.indexOf(':');
      headers.set(i, h.substring(0, colon) + ": " + cipher.encrypt(h.substring(colon + 2), s.id()));
    }
    JsonNode secret = webhook.get("signing_secret");
    if (secret != null && secret.isTextual()) {
      webhook.put("signing_secret", cipher.encrypt(secret.asText(), s.id()));
    }
    return json.toString();
  }

  Subscription decode(ResultSet rs) throws SQLException {
    String id = rs.getString("id");
    JsonNode json = SubscriptionJson.readTree(rs.getString("spec").getBytes(StandardCharsets.UTF_8));
    ObjectNode webhook = (ObjectNode) json.path("destination").path("webhook");
    JsonNode url = webhook.get("url");
    if (url != null && url.isTextual()) {
      // a URL written before URLs were encrypted is plain: decrypt() returns it as it is
      webhook.put("url", cipher.decrypt(url.asText(), id));
    }
    JsonNode headers = webhook.get("headers");
    if (headers instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        String h = a.get(i).asText();
        int colon = h.indexOf(':');
        if (colon > 0) {
          a.set(i, h.substring(0, colon) + ": " + cipher.decrypt(h.substring(colon + 1).strip(), id));
        }
      }
    }
    JsonNode secret = webhook.get("signing_secret");
    if (secret != null && secret.isTextual()) {
      webhook.put("signing_secret", cipher.decrypt(secret.asText(), id));
    }
    SubscriptionSpec spec;
    try {
      spec = SubscriptionJson.parse(json);
    } catch (io.webhookd.ValidationException e) {
      throw new WebhookdException("stored subscription " + id + " is no longer valid: " + e.getMessage(), e);
    }
    return new Subscription(
        id,
        spec,
        rs.getString("owner"),
        rs.getLong("version"),
        Instant.parse(json.path("created_at").asText()),
        Instant.parse(json.path("updated_at").asText()));
  }
}
