package io.webhookd.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions a subscription's consumer holds, and what may be committed of them: each
 * partition's commit point is its oldest offset neither delivered nor filtered out, so a commit
 * never passes a message that was not accepted. Commits go out asynchronously at most every 100
 * ms, synchronously when partitions are let go; none when {@code mayCommit} says no (a runner that
 * crashed or was abandoned). Also decides which partitions to pause (their buffers are full, or,
 * with several batches of a partition in flight, too many messages were read past the commit
 * point: {@code maxSpan}) and measures the consumer lag (committed offset to log end).
 *
 * <p>Not thread-safe: used on the subscription's consumer thread only.
 */
final class Partitions {
  private static final Logger log = LoggerFactory.getLogger(Partitions.class);
  private static final long COMMIT_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** A partition is paused when this much of it waits in memory. */
  private static final int MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

  private final String subscriptionId;
  private final Consumer<byte[], byte[]> consumer;
  private final BooleanSupplier mayCommit;
  private final int maxBuffered;
  /** Messages read past a partition's commit point before it is paused; 0 when not bounded so (partition order). */
  private final int maxSpan;
  private final Map<TopicPartition, PartitionState> states = new HashMap<>();
  private int buffered;
  private boolean commitDirty;
  private long lastCommitNanos;

  /**
   * @param maxBuffered messages of one partition held in memory before it is paused
   */
  Partitions(String subscriptionId, Consumer<byte[], byte[]> consumer, BooleanSupplier mayCommit, int maxBuffered) {
    this(subscriptionId, consumer, mayCommit, maxBuffered, 0);
  }

  /**
   * @param maxBuffered messages of one partition held in memory before it is paused
   * @param maxSpan messages read past a partition's commit point (delivered since or not) before
   *     it is paused, when several batches of a partition may be in flight; 0 for partition order
   */
  Partitions(String subscriptionId, Consumer<byte[], byte[]> consumer, BooleanSupplier mayCommit, int maxBuffered, int maxSpan) {
    this.subscriptionId = subscriptionId;
    this.consumer = consumer;
    this.mayCommit = mayCommit;
    this.maxBuffered = maxBuffered;
    this.maxSpan = maxSpan;
  }

  PartitionState get(TopicPartition tp) {
    return states.get(tp);
  }

  Collection<PartitionState> all() {
    return states.values();
  }

  boolean isEmpty() {
    return states.isEmpty();
  }

  /** Messages read and not yet in a batch, over all partitions. */
  int buffered() {
    return buffered;
  }

  /** A message was buffered into (or, negative, taken from or dropped out of) some partition. */
  void buffered(int delta) {
    buffered += delta;
  }

  /** Something delivered or filtered out: a commit is due. */
  void markDone() {
    commitDirty = true;
  }

  // ------------------------------------------------------------------ assignment

  /**
   * Newly assigned partitions: a state each (a partition kept through a rebalance keeps its
   * state), and what Kafka has committed for them, for the lag. A partition the consumer still
   * holds paused is resumed: its fresh state has nothing buffered to hold it back.
   */
  void assigned(Collection<TopicPartition> assigned) {
    if (assigned.isEmpty()) {
      return;
    }
    List<TopicPartition> added = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      if (states.putIfAbsent(tp, new PartitionState(tp, maxSpan > 0)) == null) {
        added.add(tp);
      }
    }
    Set<TopicPartition> paused = consumer.paused();
    List<TopicPartition> resume = added.stream().filter(paused::contains).toList();
    if (!resume.isEmpty()) {
      consumer.resume(resume);
    }
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(added), Duration.ofSeconds(10));
      committed.forEach((tp, o) -> {
        if (o != null) {
          PartitionState ps = states.get(tp);
          ps.committed = o.offset();
          ps.committing = o.offset();
        }
      });
    } catch (RuntimeException e) {
      log.debug("subscription {}: committed offsets of {} not known yet ({})", subscriptionId, added, e.toString());
    }
  }

  /** The states of {@code tps} that exist. */
  List<PartitionState> statesOf(Collection<TopicPartition> tps) {
    List<PartitionState> out = new ArrayList<>();
    for (TopicPartition tp : tps) {
      PartitionState ps = states.get(tp);
      if (ps != null) {
        out.add(ps);
      }
    }
    return out;
  }

  /** Forgets partitions this consumer no longer holds. */
  void remove(Collection<PartitionState> gone) {
    for (PartitionState ps : gone) {
      buffered -= ps.clear();
      states.remove(ps.tp);
    }
  }

  /** Forgets every partition (after a final commit). */
  void clear() {
    remove(new ArrayList<>(states.values()));
  }

  /**
   * Reads a partition again from its commit point (its oldest message neither delivered nor
   * filtered out), after a batch holding it was given up: drops what waits in memory and seeks
   * back. Batches of the partition still out stay out (and with key ordering keep their keys);
   * what they deliver counts.
   */
  void rewind(PartitionState ps) {
    long offset = ps.commitPoint();
    buffered -= ps.clear();
    if (offset < 0) {
      return;
    }
    ps.rewound(offset);
    consumer.seek(ps.tp, offset);
  }

  // ------------------------------------------------------------------ pausing

  /**
   * Pauses partitions whose buffer is full (or whose span past the commit point reached {@code
   * maxSpan}) and resumes those drained to half.
   */
  void adjustPauses() {
    List<TopicPartition> pause = null;
    List<TopicPartition> resume = null;
    for (PartitionState ps : states.values()) {
      boolean full = ps.waiting() >= maxBuffered || ps.waitingBytes() >= MAX_BUFFERED_BYTES || (maxSpan > 0 && ps.span() >= maxSpan);
      if (!ps.paused && full) {
        ps.paused = true;
        (pause == null ? pause = new ArrayList<>() : pause).add(ps.tp);
      } else if (ps.paused && ps.waiting() <= maxBuffered / 2 && ps.waitingBytes() < MAX_BUFFERED_BYTES / 2
          && (maxSpan == 0 || ps.span() <= maxSpan / 2)) {
        ps.paused = false;
        (resume == null ? resume = new ArrayList<>() : resume).add(ps.tp);
      }
    }
    if (pause != null) {
      consumer.pause(pause);
    }
    if (resume != null) {
      consumer.resume(resume);
    }
  }

  // ------------------------------------------------------------------ committing

  /** Nanoseconds until the next asynchronous commit is due; {@code Long.MAX_VALUE} when none is. */
  long nanosUntilCommit(long now) {
    return commitDirty ? lastCommitNanos + COMMIT_EVERY_NANOS - now : Long.MAX_VALUE;
  }

  /** Commits what moved, asynchronously, when at least 100 ms passed since the last commit. */
  void maybeCommit(long now) {
    if (!mayCommit.getAsBoolean() || !commitDirty || now - lastCommitNanos < COMMIT_EVERY_NANOS) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = commitPoints(states.values());
    commitDirty = false;
    lastCommitNanos = now;
    if (offsets.isEmpty()) {
      return;
    }
    offsets.forEach((tp, o) -> states.get(tp).committing = o.offset());
    consumer.commitAsync(
        offsets,
        (done, error) -> {
          if (error != null) {
            log.debug("commit failed for subscription {}: {}; will retry", subscriptionId, error.toString());
            for (TopicPartition tp : offsets.keySet()) {
              PartitionState ps = states.get(tp);
              if (ps != null) {
                ps.committing = Math.min(ps.committing, ps.committed);
              }
            }
            commitDirty = true;
          } else {
            done.forEach(
                (tp, o) -> {
                  PartitionState ps = states.get(tp);
                  if (ps != null && o.offset() > ps.committed) {
                    ps.committed = o.offset();
                  }
                });
          }
        });
  }

  /** Commits the commit points of {@code of} and waits for it (a few tries); a failure is logged: they will be re-delivered. */
  void commitSync(Collection<PartitionState> of) {
    Map<TopicPartition, OffsetAndMetadata> offsets = commitPoints(of);
    if (!mayCommit.getAsBoolean() || offsets.isEmpty()) {
      return;
    }
    for (int i = 0; i < 3; i++) {
      try {
        consumer.commitSync(offsets, Duration.ofSeconds(10));
        offsets.forEach(
            (tp, o) -> {
              PartitionState ps = states.get(tp);
              if (ps != null) {
                ps.committed = Math.max(ps.committed, o.offset());
                ps.committing = Math.max(ps.committing, o.offset());
              }
            });
        return;
      } catch (WakeupException e) {
        // a late wakeup meant for poll; try again
      } catch (RuntimeException e) {
        log.warn("could not commit offsets of subscription {}: {} (they will be re-delivered)", subscriptionId, e.toString());
        return;
      }
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> commitPoints(Collection<PartitionState> of) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (PartitionState ps : of) {
      long cp = ps.commitPoint();
      if (cp >= 0 && cp > ps.committing) {
        offsets.put(ps.tp, new OffsetAndMetadata(cp));
      }
    }
    return offsets;
  }

  // ------------------------------------------------------------------ lag

  /**
   * Messages from the committed offset to the log end, summed over the partitions; for a
   * partition with nothing committed yet, from the first offset this consumer reads of it. -1
   * when a partition's figures are not known yet; 0 with no partitions.
   */
  long lag() {
    long total = 0;
    for (PartitionState ps : states.values()) {
      OptionalLong behind = consumer.currentLag(ps.tp);
      long base = ps.committed >= 0 ? ps.committed : firstReadOffset(ps);
      if (behind.isEmpty() || base < 0) {
        return -1;
      }
      long position;
      try {
        position = consumer.position(ps.tp, Duration.ZERO);
      } catch (RuntimeException e) {
        return -1;
      }
      total += Math.max(0, position + behind.getAsLong() - base);
    }
    return total;
  }

  /**
   * The first offset this consumer reads of a partition it has not committed anything of: the
   * first record's (noted as it is read), or while none was read, the consumer's position.
   */
  private long firstReadOffset(PartitionState ps) {
    if (ps.firstRead >= 0) {
      return ps.firstRead;
    }
    try {
      return consumer.position(ps.tp, Duration.ZERO);
    } catch (RuntimeException e) {
      return -1;
    }
  }
}
