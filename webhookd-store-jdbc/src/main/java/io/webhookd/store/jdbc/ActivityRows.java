package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.isForeignKeyViolation;
import static io.webhookd.store.jdbc.Database.odt;
import static io.webhookd.store.jdbc.Database.setInt;

import io.webhookd.ActivityEvent;
import io.webhookd.json.SubscriptionJson;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The {@code activity} table (the newest {@code keep} events of each subscription) and the {@code
 * delivery_attempts} table (every {@code api_call} event, pruned by age and count every {@value
 * #PRUNE_EVERY} writes). Thread-safe.
 */
final class ActivityRows {
  private static final int PRUNE_EVERY = 64;

  private final Database db;
  private final Clock clock;
  private final Duration attemptRetention;
  private final int maxAttemptsPerSubscription;
  private final ConcurrentHashMap<String, AtomicInteger> attemptWrites = new ConcurrentHashMap<>();

  ActivityRows(Database db, Clock clock, Duration attemptRetention, int maxAttemptsPerSubscription) {
    this.db = db;
    this.clock = clock;
    this.attemptRetention = attemptRetention;
    this.maxAttemptsPerSubscription = maxAttemptsPerSubscription;
  }

  /** Forgets the write count of a deleted subscription (its rows went with it). */
  void forget(String id) {
    attemptWrites.remove(id);
  }

  void append(String id, List<ActivityEvent> events, int keep) {
    if (keep < 0) {
      throw new IllegalArgumentException("keep must be at least 0, was " + keep);
    }
    if (events.isEmpty()) {
      return;
    }
    String insertActivity =
        "INSERT INTO activity (subscription_id, event_type, event_at, event)"
            + " SELECT id, ?, ?, ? FROM subscriptions WHERE id = ?";
    String insertAttempt =
        "INSERT INTO delivery_attempts (subscription_id, attempted_at, response_code, batch_size, duration_ms, event)"
            + " SELECT id, ?, ?, ?, ?, ? FROM subscriptions WHERE id = ?";
    int attempts = 0;
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ps = c.prepareStatement(insertActivity);
            PreparedStatement pa = c.prepareStatement(insertAttempt)) {
          for (ActivityEvent e : events) {
            String json = SubscriptionJson.toJson(e).toString();
            ps.setString(1, e.type().wireName());
            ps.setObject(2, odt(e.timestamp()));
            ps.setString(3, json);
            ps.setString(4, id);
            ps.addBatch();
            if (e.type() == ActivityEvent.Type.API_CALL) {
              attempts++;
              pa.setObject(1, odt(e.timestamp()));
              setInt(pa, 2, e.responseCode());
              setInt(pa, 3, e.batchSize());
              if (e.durationMillis() == null) {
                pa.setNull(4, Types.BIGINT);
              } else {
                pa.setLong(4, e.durationMillis());
              }
              pa.setString(5, json);
              pa.setString(6, id);
              pa.addBatch();
            }
          }
          ps.executeBatch();
          if (attempts > 0) {
            pa.executeBatch();
          }
        }
        pruneNewest(c, "activity", id, keep);
        if (attempts > 0) {
          AtomicInteger count = attemptWrites.computeIfAbsent(id, k -> new AtomicInteger());
          // Pruning attempts is cheap but not free: do it every PRUNE_EVERY writes.
          int before = count.getAndAdd(attempts);
          if (before == 0 || before / PRUNE_EVERY != (before + attempts) / PRUNE_EVERY) {
            pruneAttempts(c, id);
          }
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      if (isForeignKeyViolation(e)) {
        return; // deleted meanwhile
      }
      throw db.failure("append activity of subscription " + id, e);
    }
  }

  /** Deletes all but the newest {@code keep} rows of a subscription in {@code table}. */
  private static void pruneNewest(Connection c, String table, String id, int keep)
      throws SQLException {
    Long boundary = null;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id FROM " + table + " WHERE subscription_id = ? ORDER BY id DESC"
                + " OFFSET ? ROWS FETCH NEXT 1 ROWS ONLY")) {
      ps.setString(1, id);
      ps.setInt(2, keep);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          boundary = rs.getLong(1);
        }
      }
    }
    if (boundary != null) {
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM " + table + " WHERE subscription_id = ? AND id <= ?")) {
        ps.setString(1, id);
        ps.setLong(2, boundary);
        ps.executeUpdate();
      }
    }
  }

  private void pruneAttempts(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM delivery_attempts WHERE subscription_id = ? AND attempted_at < ?")) {
      ps.setString(1, id);
      ps.setObject(2, odt(clock.instant().minus(attemptRetention)));
      ps.executeUpdate();
    }
    pruneNewest(c, "delivery_attempts", id, maxAttemptsPerSubscription);
  }

  List<ActivityEvent> recent(String id, int limit) {
    return events(
        "SELECT event FROM activity WHERE subscription_id = ? ORDER BY id DESC FETCH FIRST ? ROWS ONLY",
        id,
        null,
        limit);
  }

  /** {@code api_call} events at or after {@code since}, newest first, at most {@code limit}. */
  List<ActivityEvent> attempts(String id, Instant since, int limit) {
    return events(
        "SELECT event FROM delivery_attempts WHERE subscription_id = ? AND attempted_at >= ?"
            + " ORDER BY id DESC FETCH FIRST ? ROWS ONLY",
        id,
        since,
        limit);
  }

  private List<ActivityEvent> events(String sql, String id, @Nullable Instant since, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, id);
      if (since != null) {
        ps.setObject(i++, odt(since));
      }
      ps.setInt(i, limit);
      List<ActivityEvent> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              SubscriptionJson.parseActivity(
                  SubscriptionJson.readTree(rs.getString(1).getBytes(StandardCharsets.UTF_8))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw db.failure("read the activity of subscription " + id, e);
    }
  }
}
