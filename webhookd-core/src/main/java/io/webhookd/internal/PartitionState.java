package io.webhookd.internal;

import java.util.ArrayDeque;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * One assigned partition of a subscription, on its consumer thread: the messages read and not yet
 * in a batch, the batch that holds the partition (at most one: order is kept per partition), and
 * the offsets that decide what may be committed. Not thread-safe.
 */
final class PartitionState {
  final TopicPartition tp;
  /** Messages read, in offset order, not yet in a batch. */
  final ArrayDeque<Pending> buffer = new ArrayDeque<>();
  int bufferedBytes;
  /** The batch holding messages of this partition (in flight or waiting to be retried), if any. */
  @Nullable Batch busy;
  /** The next offset to read: every offset below it is buffered, in a batch, delivered or filtered out; -1 until a record was read. */
  long nextOffset = -1;
  /** The offset Kafka confirmed as committed; -1 when none is known. */
  long committed = -1;
  /** The highest offset of a commit sent and not failed. */
  long committing = -1;
  /** Where this consumer started reading a partition nothing was committed of; -1 until known (for the lag). */
  long firstRead = -1;
  boolean paused;

  PartitionState(TopicPartition tp) {
    this.tp = tp;
  }

  /** A record read from this partition, now waiting in the buffer. */
  void add(Pending p) {
    buffer.addLast(p);
    bufferedBytes += p.bytes().length;
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

  /** The oldest buffered message, moved out of the buffer (into a batch). */
  Pending take() {
    Pending p = buffer.removeFirst();
    bufferedBytes -= p.bytes().length;
    return p;
  }

  /** Forgets the buffer (the partition is read again from an earlier offset, or let go); returns how many it held. */
  int clear() {
    int n = buffer.size();
    buffer.clear();
    bufferedBytes = 0;
    return n;
  }

  /** The oldest offset neither delivered nor filtered out, or the next to read; -1 when unknown. */
  long commitPoint() {
    if (busy != null) {
      Long first = busy.firstOffsets.get(tp);
      if (first != null) {
        return first;
      }
    }
    if (!buffer.isEmpty()) {
      return buffer.peekFirst().offset();
    }
    return nextOffset;
  }
}
