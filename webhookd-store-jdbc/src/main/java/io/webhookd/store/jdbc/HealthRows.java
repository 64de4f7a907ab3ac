package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.isForeignKeyViolation;
import static io.webhookd.store.jdbc.Database.isUniqueViolation;
import static io.webhookd.store.jdbc.Database.odt;
import static java.util.Objects.requireNonNull;

import io.webhookd.HealthDetails;
import io.webhookd.json.SubscriptionJson;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code subscription_health} table: the latest health snapshot of each subscription, written
 * with the dialect's upsert (a portable update-then-insert elsewhere); a subscription deleted
 * meanwhile takes none. Thread-safe.
 */
final class HealthRows {
  private final Database db;
  private final Clock clock;

  HealthRows(Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  void save(String id, HealthDetails health) {
    requireNonNull(health, "health");
    String json = SubscriptionJson.toJson(health).toString();
    String sql =
        switch (db.dialect()) {
          case POSTGRESQL ->
              "INSERT INTO subscription_health (subscription_id, health, snapshot, updated_at)"
                  + " SELECT id, ?, ?, ? FROM subscriptions WHERE id = ?"
                  + " ON CONFLICT (subscription_id) DO UPDATE SET health = EXCLUDED.health,"
                  + " snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at";
          case H2 ->
              "MERGE INTO subscription_health (health, snapshot, updated_at, subscription_id)"
                  + " KEY (subscription_id) SELECT ?, ?, ?, id FROM subscriptions WHERE id = ?";
          case OTHER -> null;
        };
    try (Connection c = db.connect()) {
      if (sql == null) {
        saveHealthPortable(c, id, health, json);
        return;
      }
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, health.deliveryHealth().wireName());
        ps.setString(2, json);
        ps.setObject(3, odt(clock.instant()));
        ps.setString(4, id);
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      if (isForeignKeyViolation(e)) {
        return; // deleted meanwhile: like the in-memory store, health of unknown ids is dropped
      }
      throw db.failure("save the health of subscription " + id, e);
    }
  }

  private void saveHealthPortable(Connection c, String id, HealthDetails health, String json)
      throws SQLException {
    try (PreparedStatement up =
        c.prepareStatement(
            "UPDATE subscription_health SET health = ?, snapshot = ?, updated_at = ? WHERE subscription_id = ?")) {
      up.setString(1, health.deliveryHealth().wireName());
      up.setString(2, json);
      up.setObject(3, odt(clock.instant()));
      up.setString(4, id);
      if (up.executeUpdate() > 0) {
        return;
      }
    }
    try (PreparedStatement in =
        c.prepareStatement(
            "INSERT INTO subscription_health (health, snapshot, updated_at, subscription_id)"
                + " SELECT ?, ?, ?, id FROM subscriptions WHERE id = ?")) {
      in.setString(1, health.deliveryHealth().wireName());
      in.setString(2, json);
      in.setObject(3, odt(clock.instant()));
      in.setString(4, id);
      in.executeUpdate();
    } catch (SQLException e) {
      if (!isUniqueViolation(e)) {
        throw e;
      }
      saveHealthPortable(c, id, health, json); // a concurrent insert won: update it
    }
  }

  Optional<HealthDetails> read(String id) {
    String sql = "SELECT snapshot FROM subscription_health WHERE subscription_id = ?";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            SubscriptionJson.parseHealth(
                SubscriptionJson.readTree(rs.getString(1).getBytes(StandardCharsets.UTF_8))));
      }
    } catch (SQLException e) {
      throw db.failure("read the health of subscription " + id, e);
    }
  }

  /** The ids per query of {@link #read(Collection)}: well under every driver's limit of parameters. */
  private static final int CHUNK = 500;

  /** The stored health of each of {@code ids} that has one: one query per 500 ids. */
  Map<String, HealthDetails> read(Collection<String> ids) {
    Map<String, HealthDetails> found = new HashMap<>();
    List<String> all = new ArrayList<>(ids);
    for (int from = 0; from < all.size(); from += CHUNK) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
      String sql =
          "SELECT subscription_id, snapshot FROM subscription_health WHERE subscription_id IN ("
              + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")";
      try (Connection c = db.connect();
          PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < chunk.size(); i++) {
          ps.setString(i + 1, chunk.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            found.put(
                rs.getString(1),
                SubscriptionJson.parseHealth(
                    SubscriptionJson.readTree(rs.getString(2).getBytes(StandardCharsets.UTF_8))));
          }
        }
      } catch (SQLException e) {
        throw db.failure("read the health of " + chunk.size() + " subscriptions", e);
      }
    }
    return found;
  }
}
