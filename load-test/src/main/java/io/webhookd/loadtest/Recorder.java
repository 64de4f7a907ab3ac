package io.webhookd.loadtest;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Everything a run saw, per message {@code seq}: when it was produced (and where), whether the
 * filters should pass it, when it was first received, how many times. Kept in memory for the
 * figures and written to SQLite (WAL, batched inserts on a writer thread) as the seed's test
 * endpoint did, where {@link #sqlCheck()} recomputes the comparison on its own. Thread-safe.
 */
final class Recorder implements Channel.Sink, AutoCloseable {
  private final int size;
  private final long[] producedMs;
  private final int[] partition;
  private final long[] offset;
  private final BitSet produced;
  private final BitSet expected;
  private final BitSet expectedByFilter;
  private final BitSet deadLettered = new BitSet();
  private final long[] firstReceivedMs;
  private final int[] deliveries;
  private long deliveredExpected;
  private long expectedProduced;
  private long unexpected;
  final AtomicLong produceFailures = new AtomicLong();
  volatile @Nullable String lastProduceError;

  private final LinkedBlockingQueue<Object[]> queue = new LinkedBlockingQueue<>();
  private final @Nullable Thread writer;
  private final @Nullable Connection db;
  private volatile boolean closing;
  private volatile @Nullable Exception dbError;

  Recorder(int size, BitSet expectedByFilter, @Nullable Path sqlite) throws SQLException {
    this.size = size;
    this.producedMs = new long[size];
    this.partition = new int[size];
    this.offset = new long[size];
    this.produced = new BitSet(size);
    this.expected = new BitSet(size);
    this.expectedByFilter = expectedByFilter;
    this.firstReceivedMs = new long[size];
    this.deliveries = new int[size];
    if (sqlite == null) {
      db = null;
      writer = null;
      return;
    }
    db = DriverManager.getConnection("jdbc:sqlite:" + sqlite.toAbsolutePath());
    try (Statement s = db.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=NORMAL");
      s.execute("CREATE TABLE produced (seq INTEGER PRIMARY KEY, topic TEXT, key TEXT, partition INTEGER,"
          + " kafka_offset INTEGER, produced_ms INTEGER, expected INTEGER)");
      s.execute("CREATE TABLE delivery (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER, topic TEXT, partition INTEGER,"
          + " kafka_offset INTEGER, produced_ms INTEGER, received_ms INTEGER, batch_id TEXT)");
      s.execute("CREATE TABLE dead_letter (seq INTEGER PRIMARY KEY)");
    }
    db.setAutoCommit(false);
    writer = new Thread(this::write, "sqlite-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** A produce acknowledged by Kafka. */
  void produced(Payloads.Row row, int p, long off, long timestampMs) {
    boolean exp = expectedByFilter.get(row.seq());
    synchronized (this) {
      producedMs[row.seq()] = timestampMs;
      partition[row.seq()] = p;
      offset[row.seq()] = off;
      produced.set(row.seq());
      if (exp) {
        expected.set(row.seq());
        expectedProduced++;
        if (deliveries[row.seq()] > 0) {
          deliveredExpected++; // delivered before the ack reached us
        }
      }
    }
    if (db != null) {
      queue.add(new Object[] {"p", row.seq(), row.topic(), row.key(), p, off, timestampMs, exp ? 1 : 0});
    }
  }

  @Override
  public void accepted(String batchId, long receivedMs, List<Channel.Msg> messages) {
    synchronized (this) {
      for (Channel.Msg m : messages) {
        int s = m.seq();
        if (s < 0 || s >= size) {
          unexpected++;
          continue;
        }
        if (deliveries[s]++ == 0) {
          firstReceivedMs[s] = receivedMs;
          if (expected.get(s)) {
            deliveredExpected++;
          } else if (!expectedByFilter.get(s)) {
            unexpected++;
          }
        }
      }
    }
    if (db != null) {
      for (Channel.Msg m : messages) {
        queue.add(new Object[] {"d", m.seq(), m.topic(), m.partition(), m.offset(), m.producedMs(), receivedMs, batchId});
      }
    }
  }

  /**
   * The messages in the subscription's dead letters now (the http-400 fault): one that was never
   * delivered counts as settled, not missing. A letter redelivered since leaves the set (and
   * counts as delivered).
   */
  synchronized void deadLetters(BitSet now) {
    for (int seq = now.nextSetBit(0); seq >= 0; seq = now.nextSetBit(seq + 1)) {
      if (seq < size && !deadLettered.get(seq) && db != null) {
        queue.add(new Object[] {"x", seq});
      }
    }
    deadLettered.clear();
    deadLettered.or(now);
    if (deadLettered.length() > size) {
      deadLettered.clear(size, deadLettered.length());
    }
  }

  /** How many messages are in the dead letters now. */
  synchronized int deadLetterCount() {
    return deadLettered.cardinality();
  }

  /** Expected messages that were delivered or dead-lettered. */
  synchronized long settled() {
    long n = deliveredExpected;
    for (int s = deadLettered.nextSetBit(0); s >= 0; s = deadLettered.nextSetBit(s + 1)) {
      if (expected.get(s) && deliveries[s] == 0) {
        n++;
      }
    }
    return n;
  }

  synchronized long expectedProduced() {
    return expectedProduced;
  }

  synchronized long deliveredExpected() {
    return deliveredExpected;
  }

  synchronized long producedCount() {
    return produced.cardinality();
  }

  /** The comparison: produced, expected, delivered, missing, unexpected, duplicates; plus the missing seqs (first 50). */
  synchronized Map<String, Object> counts() {
    long dup = 0;
    long uniqueAll = 0;
    List<Integer> missing = new ArrayList<>();
    long missingCount = 0;
    long deadLetteredOnly = 0;
    for (int s = 0; s < size; s++) {
      if (deliveries[s] > 0) {
        uniqueAll++;
        dup += deliveries[s] - 1;
      }
      if (expected.get(s) && deliveries[s] == 0 && deadLettered.get(s)) {
        deadLetteredOnly++;
      } else if (expected.get(s) && deliveries[s] == 0) {
        missingCount++;
        if (missing.size() < 50) {
          missing.add(s);
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("produced", produced.cardinality());
    m.put("produce_failures", produceFailures.get());
    m.put("expected", expectedProduced);
    m.put("filtered_out", produced.cardinality() - expectedProduced);
    m.put("delivered_unique", deliveredExpected);
    m.put("dead_lettered", deadLetteredOnly);
    m.put("dead_letters", deadLettered.cardinality());
    m.put("missing", missingCount);
    m.put("unexpected", unexpected);
    m.put("duplicates", dup);
    m.put("delivered_unique_all", uniqueAll);
    m.put("missing_sample", missing);
    return m;
  }

  /** Latency (ms) of each expected message's first delivery, with its receive time: pairs [receivedMs, latency]. */
  synchronized long[][] firstDeliveries() {
    List<long[]> out = new ArrayList<>();
    for (int s = expected.nextSetBit(0); s >= 0; s = expected.nextSetBit(s + 1)) {
      if (deliveries[s] > 0) {
        out.add(new long[] {firstReceivedMs[s], Math.max(0, firstReceivedMs[s] - producedMs[s])});
      }
    }
    out.sort((a, b) -> Long.compare(a[0], b[0]));
    return out.toArray(new long[0][]);
  }

  private void write() {
    List<Object[]> batch = new ArrayList<>();
    try (PreparedStatement p = db.prepareStatement("INSERT INTO produced VALUES (?,?,?,?,?,?,?)");
        PreparedStatement d = db.prepareStatement(
            "INSERT INTO delivery (seq, topic, partition, kafka_offset, produced_ms, received_ms, batch_id) VALUES (?,?,?,?,?,?,?)");
        PreparedStatement x = db.prepareStatement("INSERT OR IGNORE INTO dead_letter VALUES (?)")) {
      while (!closing || !queue.isEmpty()) {
        Object[] first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, 20_000);
        for (Object[] r : batch) {
          PreparedStatement st = r[0].equals("p") ? p : r[0].equals("x") ? x : d;
          for (int i = 1; i < r.length; i++) {
            st.setObject(i, r[i]);
          }
          st.addBatch();
        }
        p.executeBatch();
        d.executeBatch();
        x.executeBatch();
        db.commit();
        batch.clear();
      }
    } catch (Exception e) {
      dbError = e;
    }
  }

  /** The same comparison in SQL over what was written, or the error. */
  Map<String, Object> sqlCheck() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (db == null) {
      m.put("skipped", true);
      return m;
    }
    if (dbError != null) {
      m.put("error", String.valueOf(dbError));
      return m;
    }
    try (Statement s = db.createStatement()) {
      m.put("produced", one(s, "SELECT count(*) FROM produced"));
      m.put("expected", one(s, "SELECT count(*) FROM produced WHERE expected = 1"));
      m.put("delivered_unique", one(s, "SELECT count(DISTINCT d.seq) FROM delivery d JOIN produced p ON p.seq = d.seq WHERE p.expected = 1"));
      m.put("dead_lettered", one(s, "SELECT count(*) FROM produced p WHERE p.expected = 1 AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.seq = p.seq)"
          + " AND EXISTS (SELECT 1 FROM dead_letter x WHERE x.seq = p.seq)"));
      m.put("missing", one(s, "SELECT count(*) FROM produced p WHERE p.expected = 1 AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.seq = p.seq)"
          + " AND NOT EXISTS (SELECT 1 FROM dead_letter x WHERE x.seq = p.seq)"));
      m.put("unexpected", one(s, "SELECT count(DISTINCT d.seq) FROM delivery d LEFT JOIN produced p ON p.seq = d.seq WHERE p.seq IS NULL OR p.expected = 0"));
      m.put("duplicates", one(s, "SELECT count(*) - count(DISTINCT seq) FROM delivery"));
      m.put("offset_mismatches", one(s, "SELECT count(*) FROM delivery d JOIN produced p ON p.seq = d.seq"
          + " WHERE d.partition <> p.partition OR d.kafka_offset <> p.kafka_offset OR d.topic <> p.topic"));
    } catch (SQLException e) {
      m.put("error", e.toString());
    }
    return m;
  }

  private static long one(Statement s, String sql) throws SQLException {
    try (ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  /** Waits for the writer to store everything queued so far. */
  void flush() {
    if (writer == null) {
      return;
    }
    closing = true;
    try {
      writer.join(TimeUnit.MINUTES.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws SQLException {
    flush();
    if (db != null) {
      db.close();
    }
  }
}
