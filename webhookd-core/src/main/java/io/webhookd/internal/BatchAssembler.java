package io.webhookd.internal;

import io.webhookd.Ordering;
import io.webhookd.spi.Batcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Decides when the buffered messages of a subscription form a batch and which messages it takes,
 * and forms it: its messages, each partition's first offset, its id and its body.
 *
 * <p>The rules, by the subscription's ordering: with {@code partition}, a partition held by a
 * batch gives nothing to a new batch, so order is kept per partition. With {@code key}, a new
 * batch takes a partition's messages in offset order, except those whose key another batch holds
 * (they wait for that batch, in {@link PartitionState#blocked}), so messages of one key are never
 * in two requests at once and go in order. With {@code none}, a new batch takes whatever waits.
 * In every mode a partition fenced by an earlier request still open gives nothing ({@link
 * Fences}). A partition that fills a batch by itself goes alone: with partition order a batch of
 * several partitions keeps all of them busy. Messages of several partitions
 * join one batch when the oldest has waited the batch interval, or, when nothing else is in
 * flight, as soon as together they fill a batch. A batch holds at most {@code maxBatchSize}
 * messages and {@code maxBatchBytes} bytes (a single larger message goes alone).
 *
 * <p>Not thread-safe: used on the subscription's consumer thread only.
 */
final class BatchAssembler {
  private final String subscriptionId;
  private final Batcher batcher;
  private final Fences fences;
  private final BatchIds ids;
  private final MessageEncoder encoder;
  private final long maxBatchBytes;
  private final Ordering ordering;
  private final boolean keyed;

  BatchAssembler(String subscriptionId, Batcher batcher, Fences fences, MessageEncoder encoder) {
    this(subscriptionId, batcher, fences, encoder, Ordering.PARTITION);
  }

  BatchAssembler(String subscriptionId, Batcher batcher, Fences fences, MessageEncoder encoder, Ordering ordering) {
    this.subscriptionId = subscriptionId;
    this.ordering = ordering;
    this.keyed = ordering == Ordering.KEY;
    this.batcher = batcher;
    this.fences = fences;
    this.ids = new BatchIds(subscriptionId);
    this.encoder = encoder;
    this.maxBatchBytes = batcher.maxBatchBytes();
  }

  /** What to send next: messages from these partitions, at most {@code count} of them. */
  record Due(List<PartitionState> from, int count) {}

  /** Whether a new batch may take messages of this partition now. */
  boolean sendable(PartitionState ps, long now) {
    return (ordering != Ordering.PARTITION || ps.batches.isEmpty()) && !ps.buffer.isEmpty() && !fences.blocks(ps.tp, now);
  }

  private boolean full(PartitionState ps) {
    return ps.buffer.size() >= batcher.maxBatchSize() || ps.bufferedBytes >= maxBatchBytes;
  }

  /**
   * The batch due now, or {@code null} to wait.
   *
   * @param othersOut whether other batches are in flight or waiting to be retried
   */
  @Nullable Due due(Iterable<PartitionState> partitions, boolean othersOut, long now) {
    List<PartitionState> free = new ArrayList<>();
    int waiting = 0;
    long waitingBytes = 0;
    PartitionState fullest = null;
    for (PartitionState ps : partitions) {
      if (sendable(ps, now)) {
        free.add(ps);
        waiting += ps.buffer.size();
        waitingBytes += ps.bufferedBytes;
        if (full(ps) && (fullest == null || ps.buffer.peekFirst().arrivalNanos() < fullest.buffer.peekFirst().arrivalNanos())) {
          fullest = ps;
        }
      }
    }
    if (free.isEmpty()) {
      return null;
    }
    if (fullest != null) {
      return new Due(List.of(fullest), batcher.maxBatchSize());
    }
    free.sort(Comparator.comparingLong(ps -> ps.buffer.peekFirst().arrivalNanos()));
    long age = now - free.get(0).buffer.peekFirst().arrivalNanos();
    int n = batcher.batchSize(waiting, waitingBytes, age);
    if (n <= 0) {
      return null;
    }
    boolean dueByAge = batcher.batchSize(Math.min(waiting, batcher.maxBatchSize() - 1), Math.min(waitingBytes, maxBatchBytes - 1), age) > 0;
    if (!dueByAge && othersOut) {
      // full only across partitions while others are in flight: wait for the partitions to
      // fill single-partition batches, or for the interval
      return null;
    }
    return new Due(free, n);
  }

  /** Nanoseconds until {@link #due} would say yes without new messages; {@code Long.MAX_VALUE} for never. */
  long nanosUntilDue(Iterable<PartitionState> partitions, boolean othersOut, long now) {
    int waiting = 0;
    long waitingBytes = 0;
    long oldest = Long.MAX_VALUE;
    for (PartitionState ps : partitions) {
      if (sendable(ps, now)) {
        if (full(ps)) {
          return 0;
        }
        waiting += ps.buffer.size();
        waitingBytes += ps.bufferedBytes;
        oldest = Math.min(oldest, ps.buffer.peekFirst().arrivalNanos());
      }
    }
    if (waiting == 0) {
      return Long.MAX_VALUE;
    }
    // mixed batches wait for the interval while other batches are in flight (see due)
    if (othersOut) {
      waiting = Math.min(waiting, batcher.maxBatchSize() - 1);
      waitingBytes = Math.min(waitingBytes, maxBatchBytes - 1);
    }
    return batcher.nanosUntilDue(waiting, waitingBytes, now - oldest);
  }

  /**
   * Takes the messages of {@code due} out of their partitions' buffers into a new batch, which
   * then holds those partitions (with key ordering: their keys). With key ordering the messages
   * whose key another batch holds are set aside on the way, so the batch may hold fewer than
   * {@code due.count()}, or none: then {@code null}, and nothing is sent.
   */
  @Nullable Batch form(Due due, Partitions partitions) {
    Batch b = new Batch();
    ids.begin();
    long bytes = 0;
    for (PartitionState ps : due.from()) {
      if (b.messages.size() >= due.count()) {
        break;
      }
      boolean took = false;
      int from = b.messages.size();
      while (!ps.buffer.isEmpty() && b.messages.size() < due.count()) {
        if (!b.messages.isEmpty() && bytes + ps.buffer.peekFirst().bytes().length > maxBatchBytes) {
          break;
        }
        Pending p = ps.take();
        partitions.buffered(-1);
        if (keyed) {
          Batch holder = ps.heldKeys.putIfAbsent(p.keyHash(), b);
          if (holder != null && holder != b) {
            ps.block(p); // an earlier message of its key is out: it waits for that batch
            continue;
          }
        }
        if (!took) {
          b.firstOffsets.put(ps.tp, p.offset());
          ids.partition(ps.tp);
          took = true;
        }
        ids.offset(p.offset());
        b.messages.add(p);
        bytes += p.bytes().length;
      }
      if (took) {
        ps.batches.add(b);
        b.slices.add(new Batch.Slice(ps.tp, from, b.messages.size()));
      }
      if (bytes >= maxBatchBytes) {
        break;
      }
    }
    if (b.messages.isEmpty()) {
      return null;
    }
    b.id = ids.finish();
    List<byte[]> parts = new ArrayList<>(b.messages.size());
    for (Pending p : b.messages) {
      parts.add(p.bytes());
    }
    b.body = encoder.batchBody(subscriptionId, b.id, parts, (int) Math.min(Integer.MAX_VALUE, bytes), parts.size());
    return b;
  }
}
