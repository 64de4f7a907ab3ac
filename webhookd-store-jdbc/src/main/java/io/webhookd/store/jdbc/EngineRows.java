package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.isUniqueViolation;
import static io.webhookd.store.jdbc.Database.odt;
import static java.util.Objects.requireNonNull;

import io.webhookd.EngineInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The {@code engines} table (migration 3): the registry of running engines, one row per engine id,
 * written by its heartbeat (PostgreSQL's and H2's upserts, elsewhere an update or, when the row is
 * missing, the one insert that does not hit the primary key). Thread-safe.
 */
final class EngineRows {
  private static final String INSERT =
      "INSERT INTO engines (host, started_at, last_seen, subscriptions, id) VALUES (?, ?, ?, ?, ?)";

  private final Database db;

  EngineRows(Database db) {
    this.db = db;
  }

  void save(EngineInfo e) {
    requireNonNull(e, "engine");
    try (Connection c = db.connect()) {
      String sql =
          switch (db.dialect()) {
            case POSTGRESQL ->
                INSERT
                    + " ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, started_at = EXCLUDED.started_at,"
                    + " last_seen = EXCLUDED.last_seen, subscriptions = EXCLUDED.subscriptions";
            case H2 -> "MERGE INTO engines (host, started_at, last_seen, subscriptions, id) KEY (id) VALUES (?, ?, ?, ?, ?)";
            case OTHER -> "UPDATE engines SET host = ?, started_at = ?, last_seen = ?, subscriptions = ? WHERE id = ?";
          };
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        bind(ps, e);
        if (ps.executeUpdate() > 0 || db.dialect() != Dialect.OTHER) {
          return;
        }
      }
      try (PreparedStatement in = c.prepareStatement(INSERT)) {
        bind(in, e);
        in.executeUpdate();
      } catch (SQLException ex) {
        if (!isUniqueViolation(ex)) {
          throw ex;
        }
        save(e); // inserted meanwhile by another writer of the same id: update it
      }
    } catch (SQLException ex) {
      throw db.failure("save engine " + e.id(), ex);
    }
  }

  List<EngineInfo> since(Instant since) {
    requireNonNull(since, "since");
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, host, started_at, last_seen, subscriptions FROM engines WHERE last_seen >= ? ORDER BY id")) {
      ps.setObject(1, odt(since));
      List<EngineInfo> found = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(
              new EngineInfo(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getObject(3, OffsetDateTime.class).toInstant(),
                  rs.getObject(4, OffsetDateTime.class).toInstant(),
                  rs.getInt(5)));
        }
      }
      return found;
    } catch (SQLException e) {
      throw db.failure("list engines", e);
    }
  }

  void remove(Collection<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("DELETE FROM engines WHERE id = ?")) {
      for (String id : ids) {
        ps.setString(1, id);
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw db.failure("remove engines " + ids, e);
    }
  }

  private static void bind(PreparedStatement ps, EngineInfo e) throws SQLException {
    ps.setString(1, e.host());
    ps.setObject(2, odt(e.startedAt()));
    ps.setObject(3, odt(e.lastSeen()));
    ps.setInt(4, e.subscriptions());
    ps.setString(5, e.id());
  }
}
