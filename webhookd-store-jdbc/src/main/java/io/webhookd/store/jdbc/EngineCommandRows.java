package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.instant;
import static io.webhookd.store.jdbc.Database.isUniqueViolation;
import static io.webhookd.store.jdbc.Database.odt;
import static java.util.Objects.requireNonNull;

import io.webhookd.spi.EngineCommand;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code engine_commands} table (migration 4): the operations one engine asks of the others
 * sharing the store, pending until they expire or one engine completes them with a conditional
 * update; pruned by age. Thread-safe.
 */
final class EngineCommandRows {
  private static final String COLUMNS = "id, subscription_id, kind, argument, created_at, expires_at, result";

  private final Database db;

  EngineCommandRows(Database db) {
    this.db = db;
  }

  /** Inserts the command; one whose id is stored already is left as it is. */
  void add(EngineCommand command) {
    requireNonNull(command, "command");
    String sql = "INSERT INTO engine_commands (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, command.id());
      ps.setString(2, command.subscriptionId());
      ps.setString(3, command.kind().name());
      ps.setString(4, command.argument());
      ps.setObject(5, odt(command.createdAt()));
      ps.setObject(6, odt(command.expiresAt()));
      ps.setString(7, command.result());
      ps.executeUpdate();
    } catch (SQLException e) {
      if (isUniqueViolation(e)) {
        return; // added before (a retry): as the in-memory store, the first one stays
      }
      throw db.failure("add command " + command.id(), e);
    }
  }

  /** The commands neither completed nor expired at {@code now}, oldest (by createdAt) first. */
  List<EngineCommand> pending(Instant now) {
    requireNonNull(now, "now");
    String sql = "SELECT " + COLUMNS + " FROM engine_commands WHERE result IS NULL AND expires_at > ?"
        + " ORDER BY created_at, id";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, odt(now));
      return read(ps);
    } catch (SQLException e) {
      throw db.failure("read the pending commands", e);
    }
  }

  Optional<EngineCommand> get(String id) {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM engine_commands WHERE id = ?")) {
      ps.setString(1, id);
      return read(ps).stream().findFirst();
    } catch (SQLException e) {
      throw db.failure("read command " + id, e);
    }
  }

  private static List<EngineCommand> read(PreparedStatement ps) throws SQLException {
    List<EngineCommand> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        EngineCommand.Kind kind;
        try {
          kind = EngineCommand.Kind.valueOf(rs.getString("kind"));
        } catch (IllegalArgumentException e) {
          // added by a newer webhookd sharing the database: it is for the engines that know it
          continue;
        }
        out.add(new EngineCommand(
            rs.getString("id"),
            rs.getString("subscription_id"),
            kind,
            rs.getString("argument"),
            instant(rs, "created_at"),
            instant(rs, "expires_at"),
            rs.getString("result")));
      }
    }
    return out;
  }

  /**
   * One conditional {@code UPDATE … WHERE id = ? AND result IS NULL}: the database lets exactly
   * one of concurrent completers, in any process, update the row.
   */
  boolean complete(String id, String result) {
    requireNonNull(result, "result");
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("UPDATE engine_commands SET result = ? WHERE id = ? AND result IS NULL")) {
      ps.setString(1, result);
      ps.setString(2, id);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      throw db.failure("complete command " + id, e);
    }
  }

  void removeBefore(Instant before) {
    requireNonNull(before, "before");
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("DELETE FROM engine_commands WHERE created_at < ?")) {
      ps.setObject(1, odt(before));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw db.failure("remove old commands", e);
    }
  }
}
