package io.webhookd.internal;

import java.util.Arrays;

/**
 * A set of offsets of one partition, a bit per offset from the lowest set one up. The partition's
 * undelivered offsets live in one ({@link PartitionState#undelivered}): with several batches of a
 * partition in flight their answers come back in any order, and the commit point is the lowest
 * offset still set there (or the next offset to read when none is), so a commit never passes an
 * undelivered message, however the answers are ordered.
 *
 * <p>A set costs a bit per offset of the span between the commit point and the last offset read
 * (at most a few KiB: fetching pauses when the span grows past its limit); setting and clearing
 * are O(1), {@link #first()} is amortized O(1) (it drops the empty words it passes for good).
 * Gaps in the log (compaction, transaction markers, aborted transactions) and filtered-out
 * messages are never set, so they never hold the commit point back.
 *
 * <p>Not thread-safe: used on the subscription's consumer thread only.
 */
final class OffsetSet {
  /** Offset of the first bit of {@code words[0]}; a multiple of 64 once anything was set. */
  private long base;
  private long[] words = new long[4];
  /** Words in use from {@code words[0]}. */
  private int used;
  /** Set bits. */
  private int count;

  /** Adds {@code offset}. */
  void add(long offset) {
    if (used == 0) {
      base = offset & ~63L;
    } else if (offset < base) {
      growFront(offset);
    }
    int w = (int) ((offset - base) >>> 6);
    if (w >= used) {
      if (w >= words.length) {
        compactOrGrow(w);
        w = (int) ((offset - base) >>> 6);
      }
      used = w + 1;
    }
    long bit = 1L << (offset & 63);
    if ((words[w] & bit) == 0) {
      words[w] |= bit;
      count++;
    }
  }

  /** Removes {@code offset} (a no-op when it is not set). */
  void remove(long offset) {
    if (offset < base || count == 0) {
      return;
    }
    long w = (offset - base) >>> 6;
    if (w >= used) {
      return;
    }
    long bit = 1L << (offset & 63);
    if ((words[(int) w] & bit) != 0) {
      words[(int) w] &= ~bit;
      count--;
      if (count == 0) {
        Arrays.fill(words, 0, used, 0L);
        used = 0;
      }
    }
  }

  /** Whether {@code offset} is set. */
  boolean contains(long offset) {
    if (offset < base || count == 0) {
      return false;
    }
    long w = (offset - base) >>> 6;
    return w < used && (words[(int) w] & (1L << (offset & 63))) != 0;
  }

  /** The lowest offset in the set, or -1 when it is empty. */
  long first() {
    if (count == 0) {
      return -1;
    }
    int w = 0;
    while (words[w] == 0) {
      w++;
    }
    if (w > 0) {
      // the words before the first set bit are done with for good: drop them
      System.arraycopy(words, w, words, 0, used - w);
      Arrays.fill(words, used - w, used, 0L);
      used -= w;
      base += 64L * w;
    }
    return base + Long.numberOfTrailingZeros(words[0]);
  }

  /** Forgets every offset from {@code offset} on (they will be read again). */
  void removeFrom(long offset) {
    if (count == 0) {
      return;
    }
    if (offset <= base) {
      clear();
      return;
    }
    long w = (offset - base) >>> 6;
    if (w >= used) {
      return;
    }
    int wi = (int) w;
    long keep = words[wi] & ((1L << (offset & 63)) - 1);
    count -= Long.bitCount(words[wi] & ~keep);
    words[wi] = keep;
    for (int i = wi + 1; i < used; i++) {
      count -= Long.bitCount(words[i]);
      words[i] = 0;
    }
    used = wi + 1;
    if (count == 0) {
      clear();
    }
  }

  /** Removes every offset below {@code offset}. */
  void removeBelow(long offset) {
    if (count == 0 || offset <= base) {
      return;
    }
    long w = (offset - base) >>> 6;
    int whole = (int) Math.min(w, used);
    for (int i = 0; i < whole; i++) {
      count -= Long.bitCount(words[i]);
    }
    if (count == 0) {
      clear();
      return;
    }
    System.arraycopy(words, whole, words, 0, used - whole);
    Arrays.fill(words, used - whole, used, 0L);
    used -= whole;
    base += 64L * whole;
    if (w < used + whole && used > 0) {
      long drop = words[0] & ((1L << (offset & 63)) - 1);
      count -= Long.bitCount(drop);
      words[0] &= ~drop;
      if (count == 0) {
        clear();
      }
    }
  }

  /** Removes everything. */
  void clear() {
    Arrays.fill(words, 0, used, 0L);
    used = 0;
    count = 0;
  }

  /** How many offsets are set. */
  int size() {
    return count;
  }

  private void compactOrGrow(int neededWord) {
    int lead = 0;
    while (lead < used && words[lead] == 0) {
      lead++;
    }
    if (lead > 0) {
      System.arraycopy(words, lead, words, 0, used - lead);
      Arrays.fill(words, used - lead, used, 0L);
      used -= lead;
      base += 64L * lead;
      neededWord -= lead;
    }
    if (neededWord >= words.length) {
      words = Arrays.copyOf(words, Math.max(words.length * 2, neededWord + 1));
    }
  }

  /** Moves the set so that it starts at {@code offset}'s word (offsets read again below the base). */
  private void growFront(long offset) {
    long newBase = offset & ~63L;
    int shift = (int) ((base - newBase) >>> 6);
    long[] n = new long[Math.max(words.length, used + shift)];
    System.arraycopy(words, 0, n, shift, used);
    words = n;
    used += shift;
    base = newBase;
  }
}
