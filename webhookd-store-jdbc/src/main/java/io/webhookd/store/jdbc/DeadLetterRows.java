package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.instant;
import static io.webhookd.store.jdbc.Database.isForeignKeyViolation;
import static io.webhookd.store.jdbc.Database.isUniqueViolation;
import static io.webhookd.store.jdbc.Database.odt;
import static io.webhookd.store.jdbc.Database.setInt;
import static java.util.Objects.requireNonNull;

import io.webhookd.DeadLetter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The {@code dead_letters} table (migration 4): one row a dead-lettered message, listed through the
 * index on {@code (subscription_id, id)}, removed with its subscription (ON DELETE CASCADE), pruned
 * by age and by count per subscription. The message (the Kafka record's key, value and headers as
 * the webhook receives them) is encrypted by the {@link SecretCipher} with the subscription and
 * dead letter ids as associated data: a customer's data, kept after Kafka's own retention removed
 * it. Thread-safe.
 */
final class DeadLetterRows {
  private static final String COLUMNS =
      "id, subscription_id, topic, kafka_partition, kafka_offset, kafka_timestamp, message,"
          + " status_code, error, attempts, batch_id, reason, dead_lettered_at";
  private static final int IDS_PER_QUERY = 500;
  private static final int REENCRYPT_PAGE = 500;

  private final Database db;
  private final SecretCipher cipher;

  DeadLetterRows(Database db, SecretCipher cipher) {
    this.db = db;
    this.cipher = cipher;
  }

  /**
   * Inserts the letters in one transaction, committed before this returns; a letter whose id is
   * stored already is left as it is. Letters of a subscription that is not (or no longer) stored
   * are dropped, as its dead letters would be by a delete.
   */
  void add(List<DeadLetter> letters) {
    requireNonNull(letters, "letters");
    if (letters.isEmpty()) {
      return;
    }
    // PostgreSQL skips an existing id atomically; elsewhere NOT EXISTS does, and two transactions
    // inserting the same new id at once make one of them fail on the primary key: it is retried,
    // and then sees the other's row.
    boolean postgres = db.dialect() == Dialect.POSTGRESQL;
    String select = " SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM subscriptions WHERE id = ?";
    String sql =
        postgres
            ? "INSERT INTO dead_letters (" + COLUMNS + ")" + select + " ON CONFLICT (id) DO NOTHING"
            : "INSERT INTO dead_letters (" + COLUMNS + ")" + select
                + " AND NOT EXISTS (SELECT 1 FROM dead_letters WHERE id = ?)";
    for (int attempt = 1; ; attempt++) {
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          for (DeadLetter d : letters) {
            int i = 1;
            ps.setString(i++, d.id());
            ps.setString(i++, d.topic());
            ps.setInt(i++, d.partition());
            ps.setLong(i++, d.offset());
            ps.setObject(i++, odt(d.timestamp()));
            ps.setString(i++, cipher.encrypt(d.message(), messageContext(d.subscriptionId(), d.id())));
            setInt(ps, i++, d.statusCode());
            ps.setString(i++, d.error());
            ps.setInt(i++, d.attempts());
            ps.setString(i++, d.batchId());
            ps.setString(i++, d.reason());
            ps.setObject(i++, odt(d.deadLetteredAt()));
            ps.setString(i++, d.subscriptionId());
            if (!postgres) {
              ps.setString(i, d.id());
            }
            ps.addBatch();
          }
          ps.executeBatch();
          c.commit();
          return;
        } catch (SQLException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        if (isUniqueViolation(e) && attempt < 3) {
          continue;
        }
        if (isForeignKeyViolation(e)) {
          return; // its subscription was deleted meanwhile: so are its dead letters
        }
        throw db.failure("add " + letters.size() + " dead letter(s)", e);
      }
    }
  }

  /** Associated data of a stored message: it cannot be moved to another row or subscription. */
  private static String messageContext(String subscriptionId, String id) {
    return "dead_letters/" + subscriptionId + "/" + id;
  }

  /** A range scan of the index on {@code (subscription_id, id)}; no other subscription is read. */
  DeadLetter.Page page(String subscriptionId, @Nullable String after, int limit) {
    requireNonNull(subscriptionId, "subscriptionId");
    if (limit <= 0) {
      return new DeadLetter.Page(List.of(), null);
    }
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(pageSql(after != null))) {
      int i = 1;
      ps.setString(i++, subscriptionId);
      if (after != null) {
        ps.setString(i++, after);
      }
      ps.setInt(i, limit + 1); // one more tells whether there is a next page
      List<DeadLetter> page = read(ps);
      if (page.size() <= limit) {
        return new DeadLetter.Page(page, null);
      }
      page = page.subList(0, limit);
      return new DeadLetter.Page(page, page.get(limit - 1).id());
    } catch (SQLException e) {
      throw db.failure("list the dead letters of subscription " + subscriptionId, e);
    }
  }

  /** The query of a {@link #page} (tests EXPLAIN it). */
  static String pageSql(boolean after) {
    // ORDER BY the index's columns, the first one fixed: H2 then reads the index in order and stops
    // after the page (with ORDER BY id alone it reads all of the subscription's rows and sorts)
    return "SELECT " + COLUMNS + " FROM dead_letters WHERE subscription_id = ?"
        + (after ? " AND id > ?" : "") + " ORDER BY subscription_id, id FETCH FIRST ? ROWS ONLY";
  }

  /** The subscription's letters of those ids that are stored, by id. */
  List<DeadLetter> byIds(String subscriptionId, Collection<String> ids) {
    requireNonNull(subscriptionId, "subscriptionId");
    List<String> wanted = new ArrayList<>(new TreeSet<>(ids));
    List<DeadLetter> out = new ArrayList<>();
    try (Connection c = db.connect()) {
      for (int from = 0; from < wanted.size(); from += IDS_PER_QUERY) {
        List<String> chunk = wanted.subList(from, Math.min(wanted.size(), from + IDS_PER_QUERY));
        String sql = "SELECT " + COLUMNS + " FROM dead_letters WHERE subscription_id = ? AND id IN ("
            + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setString(1, subscriptionId);
          for (int i = 0; i < chunk.size(); i++) {
            ps.setString(i + 2, chunk.get(i));
          }
          out.addAll(read(ps));
        }
      }
    } catch (SQLException e) {
      throw db.failure("read dead letters of subscription " + subscriptionId, e);
    }
    out.sort(Comparator.comparing(DeadLetter::id));
    return out;
  }

  private List<DeadLetter> read(PreparedStatement ps) throws SQLException {
    List<DeadLetter> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString("id");
        String subscriptionId = rs.getString("subscription_id");
        int status = rs.getInt("status_code");
        Integer statusCode = rs.wasNull() ? null : status;
        out.add(new DeadLetter(
            id,
            subscriptionId,
            rs.getString("topic"),
            rs.getInt("kafka_partition"),
            rs.getLong("kafka_offset"),
            instant(rs, "kafka_timestamp"),
            cipher.decrypt(rs.getString("message"), messageContext(subscriptionId, id)),
            statusCode,
            rs.getString("error"),
            rs.getInt("attempts"),
            rs.getString("batch_id"),
            rs.getString("reason"),
            instant(rs, "dead_lettered_at")));
      }
    }
    return out;
  }

  boolean remove(String subscriptionId, String id) {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("DELETE FROM dead_letters WHERE subscription_id = ? AND id = ?")) {
      ps.setString(1, subscriptionId);
      ps.setString(2, id);
      return ps.executeUpdate() > 0;
    } catch (SQLException e) {
      throw db.failure("remove dead letter " + id + " of subscription " + subscriptionId, e);
    }
  }

  /**
   * Removes the letters written before {@code before} (the index on {@code dead_lettered_at}),
   * then, subscription by subscription, those older than the newest {@code keepPerSubscription}
   * (the index on {@code (subscription_id, id)}); how many were removed.
   */
  int prune(Instant before, int keepPerSubscription) {
    requireNonNull(before, "before");
    if (keepPerSubscription < 0) {
      throw new IllegalArgumentException("keepPerSubscription must be at least 0, was " + keepPerSubscription);
    }
    int removed = 0;
    try (Connection c = db.connect()) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM dead_letters WHERE dead_lettered_at < ?")) {
        ps.setObject(1, odt(before));
        removed += ps.executeUpdate();
      }
      List<String> ids = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM subscriptions");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      for (String id : ids) {
        removed += pruneBeyondNewest(c, id, keepPerSubscription);
      }
      return removed;
    } catch (SQLException e) {
      throw db.failure("prune dead letters", e);
    }
  }

  private static int pruneBeyondNewest(Connection c, String subscriptionId, int keep) throws SQLException {
    String boundary = null;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id FROM dead_letters WHERE subscription_id = ? ORDER BY id DESC"
                + " OFFSET ? ROWS FETCH NEXT 1 ROWS ONLY")) {
      ps.setString(1, subscriptionId);
      ps.setInt(2, keep);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          boundary = rs.getString(1);
        }
      }
    }
    if (boundary == null) {
      return 0;
    }
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM dead_letters WHERE subscription_id = ? AND id <= ?")) {
      ps.setString(1, subscriptionId);
      ps.setString(2, boundary);
      return ps.executeUpdate();
    }
  }

  /** Dead letters page by page (by id), each message not under the current key re-encrypted. */
  void reencryptAll() {
    String current = SecretCipher.PREFIX + cipher.encryptionKeyId() + ":";
    String after = "";
    while (true) {
      List<String[]> stale = new ArrayList<>();
      String last = null;
      try (Connection c = db.connect()) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, subscription_id, message FROM dead_letters WHERE id > ? ORDER BY id FETCH FIRST "
                    + REENCRYPT_PAGE + " ROWS ONLY")) {
          ps.setString(1, after);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              last = rs.getString(1);
              String message = rs.getString(3);
              if (!message.startsWith(current)) {
                stale.add(new String[] {last, rs.getString(2), message});
              }
            }
          }
        }
        if (!stale.isEmpty()) {
          try (PreparedStatement ps = c.prepareStatement("UPDATE dead_letters SET message = ? WHERE id = ?")) {
            for (String[] row : stale) {
              String context = messageContext(row[1], row[0]);
              ps.setString(1, cipher.encrypt(cipher.decrypt(row[2], context), context));
              ps.setString(2, row[0]);
              ps.addBatch();
            }
            ps.executeBatch();
          }
        }
      } catch (SQLException e) {
        throw db.failure("re-encrypt dead letters", e);
      }
      if (last == null) {
        return;
      }
      after = last;
    }
  }
}
