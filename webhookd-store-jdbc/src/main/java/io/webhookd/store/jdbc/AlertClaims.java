package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.isUniqueViolation;
import static io.webhookd.store.jdbc.Database.odt;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * The {@code alert_claims} table: one row per subscription and alert key, claimed by the process
 * that sends that alert; atomic across processes (PostgreSQL's conditional upsert, elsewhere a
 * conditional update or the one insert that does not hit the primary key). Thread-safe.
 */
final class AlertClaims {
  private final Database db;

  AlertClaims(Database db) {
    this.db = db;
  }

  boolean claim(String id, String key, Instant now, Duration minInterval) {
    OffsetDateTime at = odt(now);
    OffsetDateTime threshold = odt(now.minus(minInterval));
    try (Connection c = db.connect()) {
      if (db.dialect() == Dialect.POSTGRESQL) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO alert_claims (subscription_id, claim_key, claimed_at) VALUES (?, ?, ?)"
                    + " ON CONFLICT (subscription_id, claim_key) DO UPDATE SET claimed_at = EXCLUDED.claimed_at"
                    + " WHERE alert_claims.claimed_at <= ?")) {
          ps.setString(1, id);
          ps.setString(2, key);
          ps.setObject(3, at);
          ps.setObject(4, threshold);
          return ps.executeUpdate() == 1;
        }
      }
      // An UPDATE re-checks its condition on the latest committed row (row lock), so of two
      // concurrent claimers only one sees the old claim; a missing row is claimed by the one
      // INSERT that does not hit the primary key.
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE alert_claims SET claimed_at = ? WHERE subscription_id = ? AND claim_key = ?"
                  + " AND claimed_at <= ?")) {
        ps.setObject(1, at);
        ps.setString(2, id);
        ps.setString(3, key);
        ps.setObject(4, threshold);
        if (ps.executeUpdate() == 1) {
          return true;
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO alert_claims (subscription_id, claim_key, claimed_at) VALUES (?, ?, ?)")) {
        ps.setString(1, id);
        ps.setString(2, key);
        ps.setObject(3, at);
        ps.executeUpdate();
        return true;
      } catch (SQLException e) {
        if (isUniqueViolation(e)) {
          return false;
        }
        throw e;
      }
    } catch (SQLException e) {
      throw db.failure("claim alert " + key + " of subscription " + id, e);
    }
  }
}
