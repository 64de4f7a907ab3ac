package io.webhookd.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.metrics.KafkaMetric;

/**
 * The consumer of a subscription woken from its topic's {@link SharedReader}: instead of a Kafka
 * consumer of its own (made, joined to its group, fetching: seconds when hundreds wake at once),
 * the runner reads what the shared reader hands it ({@link #offer}), from the positions the
 * subscription had on the reader, and commits to its group {@code webhooks-{id}} with Kafka's
 * Admin API (which Kafka accepts while the group has no member, as it has none while the
 * subscription is read here). The runner works as on its own consumer: the same batches, retries,
 * ordering and commits.
 *
 * <p>It does not keep what it handed out, so it cannot go back: a seek behind its position (a
 * batch given up and read again) {@linkplain #detached() detaches} it, as does a backlog above
 * {@code maxQueued} records or {@code maxQueuedBytes} (a webhook slower than its topic; the reader
 * must never wait for one). A detached consumer hands out nothing more; the engine then stops the
 * runner cleanly (what was delivered is committed) and starts it again on a consumer of its own
 * from the committed offsets, so nothing is lost or skipped.
 *
 * <p>Thread-safety: {@link #offer}, {@link #advance} and {@link #detach} are called by the reader's
 * thread, {@link #wakeup} from any thread, the rest by the runner's thread; state is guarded by
 * this object's monitor.
 */
final class FedConsumer implements Consumer<byte[], byte[]> {
  private static final int MAX_POLL_RECORDS = 500;

  /** Commits offsets to the subscription's group; completes when Kafka took them. */
  interface Committer extends Function<Map<TopicPartition, OffsetAndMetadata>, KafkaFuture<Void>> {}

  private final Set<TopicPartition> partitions;
  private final Committer committer;
  private final Map<TopicPartition, Long> ends;
  private final int maxQueued;
  private final long maxQueuedBytes;
  private final Runnable onDetach;
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> queues = new HashMap<>();
  /** Next offset the runner gets, per partition. */
  private final Map<TopicPartition, Long> positions = new HashMap<>();
  /** Next offset the reader may hand over, per partition (past what it handed over or skipped). */
  private final Map<TopicPartition, Long> expected = new HashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
  private final Set<TopicPartition> paused = new HashSet<>();
  private final ConcurrentLinkedQueue<Runnable> callbacks = new ConcurrentLinkedQueue<>();
  private final long commitEveryNanos;
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
  private final List<OffsetCommitCallback> toCommitCallbacks = new ArrayList<>();
  private boolean committing;
  private long lastCommitSent = System.nanoTime() - Long.MAX_VALUE / 2;
  private ConsumerRebalanceListener listener;
  private boolean assigned;
  private int queued;
  private long queuedBytes;
  private boolean woken;
  private boolean detached;
  private boolean closed;

  /**
   * @param start the subscription's positions on the reader (everything before was delivered or
   *     filtered out), taken as its committed offsets
   * @param ends the log end offsets of the topic's partitions, kept up to date by the reader
   */
  FedConsumer(Map<TopicPartition, Long> start, Map<TopicPartition, Long> ends, Committer committer, Duration commitEvery,
      int maxQueued, long maxQueuedBytes, Runnable onDetach) {
    this.commitEveryNanos = commitEvery.toNanos();
    this.partitions = Set.copyOf(start.keySet());
    this.ends = ends;
    this.committer = committer;
    this.maxQueued = maxQueued;
    this.maxQueuedBytes = maxQueuedBytes;
    this.onDetach = onDetach;
    start.forEach((tp, o) -> {
      positions.put(tp, o);
      expected.put(tp, o);
      committed.put(tp, new OffsetAndMetadata(o));
      queues.put(tp, new ArrayDeque<>());
    });
  }

  // ------------------------------------------------------------------ the reader's side

  /**
   * A record the reader read; kept when it is at or past what this consumer still needs of its
   * partition. False when this consumer is (now) detached or closed: the reader forgets it.
   */
  boolean offer(ConsumerRecord<byte[], byte[]> r) {
    return offer(new TopicPartition(r.topic(), r.partition()), r);
  }

  /** {@link #offer(ConsumerRecord)} with the record's partition, which the reader has made once for all its consumers. */
  boolean offer(TopicPartition tp, ConsumerRecord<byte[], byte[]> r) {
    boolean detach;
    synchronized (this) {
      if (closed || detached) {
        return false;
      }
      Long next = expected.get(tp);
      if (next == null || r.offset() < next) {
        return true;
      }
      long bytes = size(r);
      detach = queued >= maxQueued || queuedBytes + bytes > maxQueuedBytes;
      if (!detach) {
        queues.get(tp).add(r);
        queued++;
        queuedBytes += bytes;
        expected.put(tp, r.offset() + 1);
        notifyAll();
        return true;
      }
    }
    detach();
    return false;
  }

  /**
   * The reader's position in a partition moved to {@code offset} without a record for this
   * consumer (transaction markers, aborted records): with nothing queued, the position moves too.
   */
  synchronized void advance(TopicPartition tp, long offset) {
    Long next = expected.get(tp);
    if (closed || detached || next == null) {
      return;
    }
    if (offset > next) {
      expected.put(tp, offset);
      next = offset;
    }
    // everything before next was handed over or skipped: with nothing left queued, the position is next
    if (queues.get(tp).isEmpty() && positions.get(tp) < next) {
      positions.put(tp, next);
    }
  }

  /** Hands out nothing more; the engine moves the subscription onto a consumer of its own. Idempotent. */
  void detach() {
    synchronized (this) {
      if (detached || closed) {
        return;
      }
      detached = true;
      dropQueued();
      notifyAll();
    }
    onDetach.run();
  }

  synchronized boolean detached() {
    return detached;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  private void dropQueued() {
    queues.values().forEach(ArrayDeque::clear);
    queued = 0;
    queuedBytes = 0;
  }

  private static long size(ConsumerRecord<byte[], byte[]> r) {
    return 64L + (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
  }

  // ------------------------------------------------------------------ the runner's side

  @Override
  public synchronized void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
    this.listener = listener;
  }

  @Override
  public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
    maybeSendCommit();
    runCallbacks();
    ConsumerRebalanceListener assign = null;
    synchronized (this) {
      if (!assigned && listener != null) {
        assigned = true;
        assign = listener;
      }
    }
    if (assign != null) {
      // as a Kafka consumer does: the assignment's callback runs inside poll, on the runner's thread
      assign.onPartitionsAssigned(partitions);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> out = new HashMap<>();
    synchronized (this) {
      while (true) {
        if (woken) {
          woken = false;
          throw new WakeupException();
        }
        if (closed) {
          throw new IllegalStateException("this consumer is closed");
        }
        int n = 0;
        for (Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> e : queues.entrySet()) {
          if (paused.contains(e.getKey())) {
            continue;
          }
          ArrayDeque<ConsumerRecord<byte[], byte[]>> q = e.getValue();
          while (!q.isEmpty() && n < MAX_POLL_RECORDS) {
            ConsumerRecord<byte[], byte[]> r = q.poll();
            queued--;
            queuedBytes -= size(r);
            out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(r);
            positions.put(e.getKey(), r.offset() + 1);
            n++;
          }
        }
        long now = System.nanoTime();
        long left = deadline - now;
        if (n > 0 || left <= 0 || !callbacks.isEmpty()) {
          break;
        }
        if (!toCommit.isEmpty() && !committing) {
          long due = lastCommitSent + commitEveryNanos - now;
          if (due <= 0) {
            break;
          }
          left = Math.min(left, due);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new org.apache.kafka.common.errors.InterruptException(e);
        }
      }
    }
    runCallbacks();
    return out.isEmpty() ? ConsumerRecords.empty() : new ConsumerRecords<>(out, Map.of());
  }

  private void runCallbacks() {
    Runnable c;
    while ((c = callbacks.poll()) != null) {
      c.run();
    }
  }

  @Override
  public void wakeup() {
    synchronized (this) {
      woken = true;
      notifyAll();
    }
  }

  @Override
  public synchronized Set<TopicPartition> paused() {
    return Set.copyOf(paused);
  }

  @Override
  public synchronized void pause(Collection<TopicPartition> tps) {
    paused.addAll(tps);
  }

  @Override
  public synchronized void resume(Collection<TopicPartition> tps) {
    paused.removeAll(tps);
    notifyAll();
  }

  @Override
  public synchronized Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> tps, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (TopicPartition tp : tps) {
      out.put(tp, committed.get(tp));
    }
    return out;
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> tps) {
    return committed(tps, Duration.ZERO);
  }

  /**
   * Forward within what was handed over or queued is served; back behind the position it cannot
   * be (nothing is kept), so the consumer detaches and the subscription's own consumer reads again
   * from the committed offsets, which are at or before the offset sought.
   */
  @Override
  public void seek(TopicPartition tp, long offset) {
    synchronized (this) {
      Long at = positions.get(tp);
      if (at == null) {
        throw new IllegalStateException("no current assignment for partition " + tp);
      }
      if (offset >= at) {
        ArrayDeque<ConsumerRecord<byte[], byte[]>> q = queues.get(tp);
        while (!q.isEmpty() && q.peek().offset() < offset) {
          ConsumerRecord<byte[], byte[]> r = q.poll();
          queued--;
          queuedBytes -= size(r);
        }
        positions.put(tp, offset);
        if (expected.get(tp) < offset) {
          expected.put(tp, offset);
        }
        return;
      }
    }
    detach();
  }

  @Override
  public synchronized long position(TopicPartition tp, Duration timeout) {
    Long at = positions.get(tp);
    if (at == null) {
      throw new IllegalStateException("no current assignment for partition " + tp);
    }
    return at;
  }

  @Override
  public long position(TopicPartition tp) {
    return position(tp, Duration.ZERO);
  }

  @Override
  public synchronized OptionalLong currentLag(TopicPartition tp) {
    Long end = ends.get(tp);
    Long at = positions.get(tp);
    return end == null || at == null ? OptionalLong.empty() : OptionalLong.of(Math.max(0, end - at));
  }

  /**
   * Asynchronous commits are coalesced: at most one is out at a time, and at most one goes out per
   * {@code commitEvery}; those asked for meanwhile go out together with the highest offsets, and
   * each caller's callback gets the outcome of the commit that carried its offsets. A runner on its
   * own consumer commits every 100 ms; through the Admin API, thousands of subscriptions doing so
   * would queue the engine's other Admin calls behind their commits.
   */
  @Override
  public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
    synchronized (this) {
      offsets.forEach((tp, o) -> toCommit.merge(tp, o, (a, b) -> a.offset() >= b.offset() ? a : b));
      toCommitCallbacks.add(callback);
    }
    maybeSendCommit();
  }

  /** Sends the coalesced commits when none is out and the interval has passed; called by commitAsync and poll. */
  private void maybeSendCommit() {
    Map<TopicPartition, OffsetAndMetadata> sending;
    List<OffsetCommitCallback> waiting;
    synchronized (this) {
      if (committing || toCommit.isEmpty() || System.nanoTime() - lastCommitSent < commitEveryNanos) {
        return;
      }
      committing = true;
      lastCommitSent = System.nanoTime();
      sending = Map.copyOf(toCommit);
      waiting = List.copyOf(toCommitCallbacks);
      toCommit.clear();
      toCommitCallbacks.clear();
    }
    KafkaFuture<Void> f;
    try {
      f = committer.apply(sending);
    } catch (RuntimeException e) {
      synchronized (this) {
        committing = false;
      }
      callbacks.add(() -> waiting.forEach(cb -> cb.onComplete(sending, e)));
      return;
    }
    f.whenComplete((v, e) -> {
      synchronized (FedConsumer.this) {
        committing = false;
      }
      callbacks.add(() -> {
        if (e == null) {
          tookCommit(sending);
        }
        Exception error = e == null ? null : e instanceof Exception ex ? ex : new KafkaException(e);
        waiting.forEach(cb -> cb.onComplete(sending, error));
      });
      synchronized (FedConsumer.this) {
        FedConsumer.this.notifyAll();
      }
    });
  }

  /**
   * Waits for the asynchronous commit that is out (so that it cannot land after this one and move
   * the group back), then commits these offsets together with the asynchronous ones still waiting
   * for their interval (a runner that stops commits only what it has not asked for yet: without
   * them, what they cover would be delivered again).
   */
  @Override
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<TopicPartition, OffsetAndMetadata> all;
    List<OffsetCommitCallback> waiting;
    synchronized (this) {
      try {
        while (committing) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new org.apache.kafka.common.errors.TimeoutException("an earlier commit of a shared-reader subscription is still out");
          }
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new org.apache.kafka.common.errors.InterruptException(e);
      }
      all = new HashMap<>(toCommit);
      offsets.forEach((tp, o) -> all.merge(tp, o, (a, b) -> a.offset() >= b.offset() ? a : b));
      waiting = List.copyOf(toCommitCallbacks);
      toCommit.clear();
      toCommitCallbacks.clear();
      committing = true;
    }
    try {
      committer.apply(Map.copyOf(all)).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      tookCommit(all);
      callbacks.add(() -> waiting.forEach(cb -> cb.onComplete(all, null)));
    } catch (ExecutionException e) {
      KafkaException k = e.getCause() instanceof KafkaException ke ? ke : new KafkaException(e.getCause());
      callbacks.add(() -> waiting.forEach(cb -> cb.onComplete(all, k)));
      throw k;
    } catch (TimeoutException e) {
      org.apache.kafka.common.errors.TimeoutException t =
          new org.apache.kafka.common.errors.TimeoutException("committing offsets of a shared-reader subscription", e);
      callbacks.add(() -> waiting.forEach(cb -> cb.onComplete(all, t)));
      throw t;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new org.apache.kafka.common.errors.InterruptException(e);
    } finally {
      synchronized (this) {
        committing = false;
        notifyAll();
      }
    }
  }

  @Override
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    commitSync(offsets, Duration.ofSeconds(60));
  }

  private synchronized void tookCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, o) -> {
      OffsetAndMetadata before = committed.get(tp);
      if (before == null || before.offset() < o.offset()) {
        committed.put(tp, o);
      }
    });
  }

  @Override
  public synchronized Set<TopicPartition> assignment() {
    return assigned ? partitions : Set.of();
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }

  @Override
  public void close(Duration timeout) {
    synchronized (this) {
      closed = true;
      dropQueued();
      notifyAll();
    }
    runCallbacks();
  }

  @Override
  public void close(CloseOptions option) {
    close(Duration.ZERO);
  }

  // ------------------------------------------------------------------ not used by a runner

  private static UnsupportedOperationException unsupported() {
    return new UnsupportedOperationException("not supported by a consumer fed by a shared reader");
  }

  @Override
  public Set<String> subscription() {
    throw unsupported();
  }

  @Override
  public void subscribe(Collection<String> topics) {
    throw unsupported();
  }

  @Override
  public void assign(Collection<TopicPartition> partitions) {
    throw unsupported();
  }

  @Override
  public void subscribe(Pattern pattern, ConsumerRebalanceListener callback) {
    throw unsupported();
  }

  @Override
  public void subscribe(Pattern pattern) {
    throw unsupported();
  }

  @Override
  public void subscribe(SubscriptionPattern pattern, ConsumerRebalanceListener callback) {
    throw unsupported();
  }

  @Override
  public void subscribe(SubscriptionPattern pattern) {
    throw unsupported();
  }

  @Override
  public void unsubscribe() {
    throw unsupported();
  }

  @Override
  public void commitSync() {
    throw unsupported();
  }

  @Override
  public void commitSync(Duration timeout) {
    throw unsupported();
  }

  @Override
  public void commitAsync() {
    throw unsupported();
  }

  @Override
  public void commitAsync(OffsetCommitCallback callback) {
    throw unsupported();
  }

  @Override
  public void registerMetricForSubscription(KafkaMetric metric) {
    throw unsupported();
  }

  @Override
  public void unregisterMetricFromSubscription(KafkaMetric metric) {
    throw unsupported();
  }

  @Override
  public void seek(TopicPartition partition, OffsetAndMetadata offsetAndMetadata) {
    seek(partition, offsetAndMetadata.offset());
  }

  @Override
  public void seekToBeginning(Collection<TopicPartition> partitions) {
    throw unsupported();
  }

  @Override
  public void seekToEnd(Collection<TopicPartition> partitions) {
    throw unsupported();
  }

  @Override
  public Uuid clientInstanceId(Duration timeout) {
    throw unsupported();
  }

  @Override
  public Map<MetricName, ? extends Metric> metrics() {
    return Map.of();
  }

  @Override
  public List<PartitionInfo> partitionsFor(String topic) {
    throw unsupported();
  }

  @Override
  public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
    throw unsupported();
  }

  @Override
  public Map<String, List<PartitionInfo>> listTopics() {
    throw unsupported();
  }

  @Override
  public Map<String, List<PartitionInfo>> listTopics(Duration timeout) {
    throw unsupported();
  }

  @Override
  public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestampsToSearch) {
    throw unsupported();
  }

  @Override
  public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestampsToSearch, Duration timeout) {
    throw unsupported();
  }

  @Override
  public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
    throw unsupported();
  }

  @Override
  public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions, Duration timeout) {
    throw unsupported();
  }

  @Override
  public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
    throw unsupported();
  }

  @Override
  public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
    throw unsupported();
  }

  @Override
  public ConsumerGroupMetadata groupMetadata() {
    throw unsupported();
  }

  @Override
  public void enforceRebalance() {
    throw unsupported();
  }

  @Override
  public void enforceRebalance(String reason) {
    throw unsupported();
  }
}
