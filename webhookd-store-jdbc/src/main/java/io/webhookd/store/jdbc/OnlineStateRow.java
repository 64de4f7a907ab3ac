package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.odt;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.webhookd.OnlineState;
import io.webhookd.WebhookdException;
import io.webhookd.json.SubscriptionJson;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** The one row of {@code admin_state}: whether delivery is online, and the operator's message. Thread-safe. */
final class OnlineStateRow {
  private final Database db;

  OnlineStateRow(Database db) {
    this.db = db;
  }

  OnlineState read() {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT state FROM admin_state WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return OnlineState.initial();
      }
      JsonNode j = SubscriptionJson.readTree(rs.getString(1).getBytes(StandardCharsets.UTF_8));
      return new OnlineState(
          "online".equals(j.path("status").asText()),
          j.path("offline_message").asText(""),
          Instant.parse(j.path("updated_at").asText()));
    } catch (SQLException e) {
      throw db.failure("read the admin state", e);
    }
  }

  void save(OnlineState state) {
    requireNonNull(state, "state");
    String sql = "UPDATE admin_state SET online = ?, state = ?, updated_at = ? WHERE id = 1";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setBoolean(1, state.online());
      ps.setString(2, SubscriptionJson.toJson(state).toString());
      ps.setObject(3, odt(state.updatedAt()));
      if (ps.executeUpdate() == 0) {
        throw new WebhookdException("the admin_state row is missing; the schema was changed by hand");
      }
    } catch (SQLException e) {
      throw db.failure("save the admin state", e);
    }
  }
}
