package io.webhookd.store.jdbc.internal;

import com.zaxxer.hikari.SQLExceptionOverride;
import java.sql.SQLException;
import java.util.Set;

/**
 * Tells HikariCP to drop a connection after errors that mean the database side of it is gone.
 * PostgreSQL reports those with SQL states of class 08, which Hikari recognises by itself; H2's
 * client reports them with its own codes, which Hikari would not, so a pool would keep handing out
 * dead connections after the database came back. Public only because Hikari makes it by its
 * class name.
 */
public final class EvictBrokenConnections implements SQLExceptionOverride {
  /** H2: connection broken, database closed (twice), server not reachable, IO error. */
  private static final Set<Integer> H2_GONE = Set.of(90067, 90098, 90121, 90028, 90031);

  @java.lang.Override
  public Override adjudicate(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && H2_GONE.contains(s.getErrorCode())) {
        return Override.MUST_EVICT;
      }
    }
    return Override.CONTINUE_EVICT;
  }
}
