package io.webhookd.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * One assigned partition of a subscription, on its consumer thread: the messages read and not yet
 * in a batch, the batches that hold messages of the partition, and the offsets that decide what
 * may be committed.
 *
 * <p>How many batches may hold the partition depends on the subscription's ordering
 * ({@link BatchAssembler}): one with {@code partition}; with {@code key}, any number whose keys do
 * not overlap: each key (by its hash) is held by at most one batch ({@link #heldKeys}), and a
 * message whose key is held waits in {@link #blocked} until that batch is delivered (or given up);
 * with {@code none}, any number. Whatever the mode, the commit point is the lowest offset still
 * {@link #undelivered} (or the next to read), so answers may come back in any order.
 *
 * <p>Not thread-safe.
 */
final class PartitionState {
  private static final Comparator<Pending> BY_OFFSET = Comparator.comparingLong(Pending::offset);

  final TopicPartition tp;
  /**
   * Messages read, not yet in a batch: in offset order, except that with key ordering messages
   * given back by {@link #settle} go first (in their own keys' order).
   */
  final ArrayDeque<Pending> buffer = new ArrayDeque<>();
  /** Bytes of the {@link #buffer}. */
  int bufferedBytes;
  /** The batches holding messages of this partition (in flight or waiting to be retried); at most one with partition ordering. */
  final List<Batch> batches = new ArrayList<>(1);
  /** Offsets read and passed by the filters, neither delivered nor given up for good. */
  final OffsetSet undelivered = new OffsetSet();
  /**
   * Offsets read and passed by the filters, from the commit point on (delivered or not): how many
   * messages a crash may deliver again. Kept only when several batches of a partition may be in
   * flight ({@code key} and {@code none}); with partition order it is the buffer and one batch.
   */
  final OffsetSet readAbove = new OffsetSet();
  /** Key ordering: the batch that holds each key (by hash) of this partition. */
  final Map<Integer, Batch> heldKeys = new HashMap<>();
  /** Key ordering: messages taken off the buffer because their key was held, per key, in offset order. */
  final Map<Integer, ArrayDeque<Pending>> blocked = new HashMap<>();
  int blockedCount;
  int blockedBytes;
  /** The next offset to read: every offset below it is buffered, in a batch, delivered or filtered out; -1 until a record was read. */
  long nextOffset = -1;
  /** The offset Kafka confirmed as committed; -1 when none is known. */
  long committed = -1;
  /** The highest offset of a commit sent and not failed. */
  long committing = -1;
  /** Where this consumer started reading a partition nothing was committed of; -1 until known (for the lag). */
  long firstRead = -1;
  boolean paused;
  /** Whether {@link #readAbove} is kept (several batches of a partition may be in flight). */
  private final boolean trackSpan;

  PartitionState(TopicPartition tp) {
    this(tp, false);
  }

  PartitionState(TopicPartition tp, boolean trackSpan) {
    this.tp = tp;
    this.trackSpan = trackSpan;
  }

  /** A record read from this partition, now waiting in the buffer. */
  void add(Pending p) {
    buffer.addLast(p);
    bufferedBytes += p.bytes().length;
    undelivered.add(p.offset());
    if (trackSpan) {
      readAbove.add(p.offset());
    }
    read(p.offset());
  }

  /** A record read from this partition that needs no delivery (filtered out): only the read position moves. */
  void skip(long offset) {
    read(offset);
  }

  private void read(long offset) {
    if (firstRead < 0) {
      firstRead = offset;
    }
    nextOffset = offset + 1;
  }

  /** The oldest buffered message, moved out of the buffer (into a batch, or to {@link #blocked}). */
  Pending take() {
    Pending p = buffer.removeFirst();
    bufferedBytes -= p.bytes().length;
    return p;
  }

  /** Key ordering: a message taken off the buffer whose key another batch holds waits for that key. */
  void block(Pending p) {
    blocked.computeIfAbsent(p.keyHash(), k -> new ArrayDeque<>()).addLast(p);
    blockedCount++;
    blockedBytes += p.bytes().length;
  }

  /**
   * The batch no longer holds this partition's messages {@code b.messages[from, to)}: delivered
   * ({@code delivered}: they leave the undelivered set) or given up (they stay undelivered and are
   * read again). Its keys are let go: the messages that waited for them go back to the front of
   * the buffer (they are older than everything in it of their keys).
   *
   * @return how many messages went back to the buffer
   */
  int settle(Batch b, int from, int to, boolean delivered) {
    List<Pending> msgs = b.messages;
    if (delivered) {
      for (int i = from; i < to; i++) {
        undelivered.remove(msgs.get(i).offset());
      }
    }
    if (heldKeys.isEmpty()) {
      return 0;
    }
    List<Pending> back = null;
    for (int i = from; i < to; i++) {
      int key = msgs.get(i).keyHash();
      if (heldKeys.get(key) == b) {
        heldKeys.remove(key);
        ArrayDeque<Pending> waiting = blocked.remove(key);
        if (waiting != null) {
          if (back == null) {
            back = new ArrayList<>(waiting);
          } else {
            back.addAll(waiting);
          }
          blockedCount -= waiting.size();
          for (Pending p : waiting) {
            blockedBytes -= p.bytes().length;
          }
        }
      }
    }
    if (back == null) {
      return 0;
    }
    back.sort(BY_OFFSET);
    for (int i = back.size() - 1; i >= 0; i--) {
      Pending p = back.get(i);
      buffer.addFirst(p);
      bufferedBytes += p.bytes().length;
    }
    return back.size();
  }

  /**
   * Forgets the messages waiting (the partition is read again from an earlier offset, or let go);
   * the keys held by batches still out stay held. Returns how many the buffer held.
   */
  int clear() {
    int n = buffer.size();
    buffer.clear();
    bufferedBytes = 0;
    blocked.clear();
    blockedCount = 0;
    blockedBytes = 0;
    return n;
  }

  /** Messages waiting in memory: the buffer and, with key ordering, those blocked by their keys. */
  int waiting() {
    return buffer.size() + blockedCount;
  }

  /** Bytes of the messages {@link #waiting()}. */
  long waitingBytes() {
    return (long) bufferedBytes + blockedBytes;
  }

  /** The oldest offset neither delivered nor filtered out, or the next to read; -1 when unknown. */
  long commitPoint() {
    long first = undelivered.first();
    if (first >= 0 && (nextOffset < 0 || first < nextOffset)) {
      return first;
    }
    return nextOffset;
  }

  /**
   * Messages read from the commit point on (delivered since or not): how many a crash may deliver
   * again. 0 when not tracked (partition ordering).
   */
  int span() {
    if (!trackSpan) {
      return 0;
    }
    long cp = commitPoint();
    if (cp >= 0) {
      readAbove.removeBelow(cp);
    }
    return readAbove.size();
  }

  /** Reading starts again at {@code offset}: what was read from there on will be read again. */
  void rewound(long offset) {
    undelivered.removeFrom(offset);
    readAbove.removeFrom(offset);
    nextOffset = offset;
  }
}
