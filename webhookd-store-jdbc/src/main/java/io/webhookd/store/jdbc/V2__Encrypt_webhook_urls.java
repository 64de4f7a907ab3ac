package io.webhookd.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.json.SubscriptionJson;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Schema version 2: webhook URLs are encrypted at rest like the other secrets (a URL's query or
 * user info may hold a token). Version 1 stored them in clear; this rewrites each plain URL in
 * {@code subscriptions.spec} encrypted with the store's key, in Flyway's transaction, so an
 * existing database holds no clear URL once it is opened by this version. The table's shape does
 * not change. Not named by Flyway's scan: {@link JdbcSubscriptionStore} registers it with the key.
 */
final class V2__Encrypt_webhook_urls extends BaseJavaMigration {
  private final SecretCipher cipher;

  V2__Encrypt_webhook_urls(SecretCipher cipher) {
    this.cipher = cipher;
  }

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    Map<String, String> rewritten = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, spec FROM subscriptions");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString(1);
        JsonNode json = SubscriptionJson.readTree(rs.getString(2).getBytes(StandardCharsets.UTF_8));
        JsonNode webhook = json.path("destination").path("webhook");
        JsonNode url = webhook.get("url");
        if (webhook instanceof ObjectNode w && url != null && url.isTextual()
            && !url.asText().startsWith(SecretCipher.PREFIX)) {
          w.put("url", cipher.encrypt(url.asText(), id));
          rewritten.put(id, json.toString());
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE subscriptions SET spec = ? WHERE id = ?")) {
      for (Map.Entry<String, String> e : rewritten.entrySet()) {
        ps.setString(1, e.getValue());
        ps.setString(2, e.getKey());
        ps.addBatch();
      }
      if (!rewritten.isEmpty()) {
        ps.executeBatch();
      }
    }
  }
}
