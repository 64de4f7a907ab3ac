package io.webhookd.internal;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of offsets of one partition: a bit per offset, in chunks of 4096 offsets that exist only
 * where something is set. The partition's undelivered offsets live in one ({@link
 * PartitionState#undelivered}): with several batches of a partition in flight their answers come
 * back in any order, and the commit point is the lowest offset still set there (or the next offset
 * to read when none is), so a commit never passes an undelivered message, however the answers are
 * ordered.
 *
 * <p>Costs: 512 bytes per chunk in use (the span from the commit point to the last offset read is
 * bounded: fetching pauses when it grows past its limit; a gap in the log, as compaction leaves,
 * costs nothing). Setting and clearing are a bit operation on the chunk used last (a map lookup
 * once per chunk); {@link #first()} scans from the lowest chunk and drops the empty ones it passes.
 * Gaps in the log (compaction, transaction markers, aborted transactions) and filtered-out
 * messages are never set, so they never hold the commit point back.
 *
 * <p>Not thread-safe: used on the subscription's consumer thread only.
 */
final class OffsetSet {
  private static final int CHUNK_SHIFT = 12;
  private static final int CHUNK_WORDS = 1 << (CHUNK_SHIFT - 6);
  private static final long IN_CHUNK = (1L << CHUNK_SHIFT) - 1;
  private static final long NONE = Long.MIN_VALUE;

  private final TreeMap<Long, long[]> chunks = new TreeMap<>();
  /** The chunk {@link #add} used last, and its key: consecutive offsets share one. */
  private long addKey = NONE;
  private long[] addChunk = new long[0];
  /** The chunk {@link #remove} used last, and its key. */
  private long removeKey = NONE;
  private long[] removeChunk = new long[0];
  private int count;

  /** Adds {@code offset}. */
  void add(long offset) {
    long key = offset >>> CHUNK_SHIFT;
    long[] c;
    if (key == addKey) {
      c = addChunk;
    } else {
      c = chunks.computeIfAbsent(key, k -> new long[CHUNK_WORDS]);
      addKey = key;
      addChunk = c;
    }
    int i = (int) (offset & IN_CHUNK);
    long bit = 1L << i;
    if ((c[i >>> 6] & bit) == 0) {
      c[i >>> 6] |= bit;
      count++;
    }
  }

  /** Removes {@code offset} (a no-op when it is not set). */
  void remove(long offset) {
    if (count == 0) {
      return;
    }
    long key = offset >>> CHUNK_SHIFT;
    long[] c;
    if (key == removeKey) {
      c = removeChunk;
    } else {
      c = chunks.get(key);
      if (c == null) {
        return;
      }
      removeKey = key;
      removeChunk = c;
    }
    int i = (int) (offset & IN_CHUNK);
    long bit = 1L << i;
    if ((c[i >>> 6] & bit) != 0) {
      c[i >>> 6] &= ~bit;
      if (--count == 0) {
        clear();
      }
    }
  }

  /** Whether {@code offset} is set. */
  boolean contains(long offset) {
    long[] c = chunks.get(offset >>> CHUNK_SHIFT);
    int i = (int) (offset & IN_CHUNK);
    return c != null && (c[i >>> 6] & (1L << i)) != 0;
  }

  /** The lowest offset in the set, or -1 when it is empty. */
  long first() {
    if (count == 0) {
      return -1;
    }
    for (Iterator<Map.Entry<Long, long[]>> it = chunks.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, long[]> e = it.next();
      long[] c = e.getValue();
      for (int w = 0; w < CHUNK_WORDS; w++) {
        if (c[w] != 0) {
          return (e.getKey() << CHUNK_SHIFT) + 64L * w + Long.numberOfTrailingZeros(c[w]);
        }
      }
      it.remove(); // empty: the offsets below the first set one are done with for good
      forget(e.getKey());
    }
    return -1;
  }

  /** Removes every offset below {@code offset}. */
  void removeBelow(long offset) {
    if (count == 0 || offset <= 0) {
      return;
    }
    long key = offset >>> CHUNK_SHIFT;
    for (Iterator<Map.Entry<Long, long[]>> it = chunks.headMap(key, false).entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, long[]> e = it.next();
      count -= bits(e.getValue(), 0, CHUNK_WORDS);
      it.remove();
      forget(e.getKey());
    }
    long[] c = chunks.get(key);
    if (c != null) {
      int i = (int) (offset & IN_CHUNK);
      count -= bits(c, 0, i >>> 6);
      java.util.Arrays.fill(c, 0, i >>> 6, 0L);
      long below = c[i >>> 6] & ((1L << i) - 1);
      count -= Long.bitCount(below);
      c[i >>> 6] &= ~below;
    }
    if (count == 0) {
      clear();
    }
  }

  /** Removes every offset from {@code offset} on (they will be read again). */
  void removeFrom(long offset) {
    if (count == 0) {
      return;
    }
    if (offset <= 0) {
      clear();
      return;
    }
    long key = offset >>> CHUNK_SHIFT;
    for (Iterator<Map.Entry<Long, long[]>> it = chunks.tailMap(key, false).entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, long[]> e = it.next();
      count -= bits(e.getValue(), 0, CHUNK_WORDS);
      it.remove();
      forget(e.getKey());
    }
    long[] c = chunks.get(key);
    if (c != null) {
      int i = (int) (offset & IN_CHUNK);
      long from = c[i >>> 6] & -(1L << i);
      count -= Long.bitCount(from);
      c[i >>> 6] &= ~from;
      count -= bits(c, (i >>> 6) + 1, CHUNK_WORDS);
      java.util.Arrays.fill(c, (i >>> 6) + 1, CHUNK_WORDS, 0L);
    }
    if (count == 0) {
      clear();
    }
  }

  /** Removes everything. */
  void clear() {
    chunks.clear();
    count = 0;
    addKey = NONE;
    removeKey = NONE;
  }

  /** How many offsets are set. */
  int size() {
    return count;
  }

  private void forget(long key) {
    if (key == addKey) {
      addKey = NONE;
    }
    if (key == removeKey) {
      removeKey = NONE;
    }
  }

  private static int bits(long[] c, int from, int to) {
    int n = 0;
    for (int w = from; w < to; w++) {
      n += Long.bitCount(c[w]);
    }
    return n;
  }
}
