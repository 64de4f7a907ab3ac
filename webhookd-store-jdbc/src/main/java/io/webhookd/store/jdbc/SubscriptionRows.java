package io.webhookd.store.jdbc;

import static io.webhookd.store.jdbc.Database.isUniqueViolation;
import static io.webhookd.store.jdbc.Database.odt;
import static java.util.Objects.requireNonNull;

import io.webhookd.ConflictException;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionNotFoundException;
import io.webhookd.WebhookdException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@code subscriptions} table: one row a subscription, its document encrypted ({@link
 * EncryptedSpecs}), its version the optimistic lock of {@link #update}. Thread-safe.
 */
final class SubscriptionRows {
  private final Database db;
  private final EncryptedSpecs specs;

  SubscriptionRows(Database db, EncryptedSpecs specs) {
    this.db = db;
    this.specs = specs;
  }

  Subscription create(Subscription s) {
    requireNonNull(s, "subscription");
    if (s.version() != 1) {
      throw new IllegalArgumentException("a new subscription's version must be 1, was " + s.version());
    }
    String sql =
        "INSERT INTO subscriptions (id, spec, owner, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, s.id());
      ps.setString(2, specs.encode(s));
      ps.setString(3, s.owner());
      ps.setLong(4, s.version());
      ps.setObject(5, odt(s.createdAt()));
      ps.setObject(6, odt(s.updatedAt()));
      ps.executeUpdate();
      return s;
    } catch (SQLException e) {
      if (isUniqueViolation(e)) {
        throw new WebhookdException("a subscription with id " + s.id() + " already exists");
      }
      throw db.failure("create subscription " + s.id(), e);
    }
  }

  Subscription update(Subscription s, long expectedVersion) {
    requireNonNull(s, "subscription");
    if (s.version() == expectedVersion + 1) {
      String sql =
          "UPDATE subscriptions SET spec = ?, owner = ?, version = ?, created_at = ?, updated_at = ?"
              + " WHERE id = ? AND version = ?";
      try (Connection c = db.connect();
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, specs.encode(s));
        ps.setString(2, s.owner());
        ps.setLong(3, s.version());
        ps.setObject(4, odt(s.createdAt()));
        ps.setObject(5, odt(s.updatedAt()));
        ps.setString(6, s.id());
        ps.setLong(7, expectedVersion);
        if (ps.executeUpdate() == 1) {
          return s;
        }
      } catch (SQLException e) {
        throw db.failure("update subscription " + s.id(), e);
      }
    }
    Long current = currentVersion(s.id());
    if (current == null) {
      throw new SubscriptionNotFoundException(s.id());
    }
    if (current != expectedVersion) {
      throw new ConflictException(s.id(), expectedVersion, current);
    }
    throw new IllegalArgumentException(
        "the updated version must be " + (expectedVersion + 1) + ", was " + s.version());
  }

  private @Nullable Long currentVersion(String id) {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT version FROM subscriptions WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    } catch (SQLException e) {
      throw db.failure("read the version of subscription " + id, e);
    }
  }

  boolean delete(String id) {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try {
        // Health, activity, attempts and dead letters go by ON DELETE CASCADE; claims have no
        // foreign key.
        int n;
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM subscriptions WHERE id = ?")) {
          ps.setString(1, id);
          n = ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM alert_claims WHERE subscription_id = ?")) {
          ps.setString(1, id);
          ps.executeUpdate();
        }
        c.commit();
        return n > 0;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw db.failure("delete subscription " + id, e);
    }
  }

  Optional<Subscription> get(String id) {
    String sql = "SELECT id, spec, owner, version FROM subscriptions WHERE id = ?";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(specs.decode(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw db.failure("read subscription " + id, e);
    }
  }

  List<Subscription> list() {
    String sql = "SELECT id, spec, owner, version FROM subscriptions ORDER BY created_at, id";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      List<Subscription> out = new ArrayList<>();
      while (rs.next()) {
        out.add(specs.decode(rs));
      }
      // created_at is stored to the microsecond; the exact instants come from the JSON.
      out.sort(
          java.util.Comparator.comparing(Subscription::createdAt).thenComparing(Subscription::id));
      return out;
    } catch (SQLException e) {
      throw db.failure("list subscriptions", e);
    }
  }

  /** Rewrites every subscription with the current encryption key (same version); how many were. */
  int reencryptAll() {
    int n = 0;
    for (Subscription s : list()) {
      String sql = "UPDATE subscriptions SET spec = ? WHERE id = ? AND version = ?";
      try (Connection c = db.connect();
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, specs.encode(s));
        ps.setString(2, s.id());
        ps.setLong(3, s.version());
        n += ps.executeUpdate();
      } catch (SQLException e) {
        throw db.failure("re-encrypt subscription " + s.id(), e);
      }
    }
    return n;
  }
}
