package io.webhookd.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One topic's reader for the engine's parked subscriptions: those that had caught up and gave up
 * their own consumer ({@link Parked}). One thread, {@code webhookd-shared-{topic}}, owns a consumer
 * without a group that is assigned every partition of the topic and reads from the smallest
 * position of the parked subscriptions. Each record is tested against the filters of each parked
 * subscription that has not seen it yet: one that does not pass moves that subscription's position
 * past it (a filtered-out record, as its own runner would have committed it); the first that
 * passes wakes the subscription: it leaves the parked ones with its position at that record, the
 * engine starts its runner there, and the reader hands that record and every later one of the topic
 * to the runner's {@link FedConsumer} (no consumer of its own to make and join to its group, which
 * took seconds when hundreds woke at once). So the reader never delivers, retries or waits on a
 * webhook: a runner that does not keep up detaches onto a consumer of its own (see {@link
 * FedConsumer}), and a failing subscription slows no other.
 *
 * <p>Thread-safety: {@link #park}, {@link #unpark} and {@link #close} may be called from any
 * thread: the first two queue a command that the thread runs between polls; only {@link #close}
 * wakes the consumer (a wakeup could otherwise break a command's call into the consumer).
 */
final class SharedReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedReader.class);
  private static final long REFRESH_PARTITIONS_NANOS = Duration.ofSeconds(30).toNanos();

  private final String topic;
  private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
  /** What wakes a subscription. */
  interface Waker {
    /**
     * Called on the reader's thread with a subscription whose record passed, its positions and the
     * topic's end offsets (kept up to date); returns the consumer its runner reads from, which the
     * reader feeds from then on, or null.
     */
    @Nullable FedConsumer woken(Parked p, Map<TopicPartition, Long> positions, Map<TopicPartition, Long> ends);
  }

  private final Waker wake;
  /** Called on the reader's thread every commit interval with the subscriptions whose positions moved. */
  private final Consumer<List<Parked>> progress;
  private final long commitEveryNanos;
  private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
  private final Map<String, Parked> parked = new HashMap<>();
  /** Consumers of woken subscriptions' runners, fed with every record from their positions on. */
  private final Map<String, FedConsumer> fed = new HashMap<>();
  /** Log end offsets of the topic's partitions as of the last poll, for the fed consumers' lag. */
  private final Map<TopicPartition, Long> ends = new java.util.concurrent.ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean closing;
  private List<TopicPartition> partitions = List.of();
  private long partitionsReadAt;
  private long lastProgress = System.nanoTime();

  SharedReader(
      String topic,
      org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
      Duration commitEvery,
      Waker wake,
      Consumer<List<Parked>> progress) {
    this.topic = topic;
    this.consumer = consumer;
    this.commitEveryNanos = commitEvery.toNanos();
    this.wake = wake;
    this.progress = progress;
    this.thread = new Thread(this::run, "webhookd-shared-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  /** A subscription read here from now on, from {@link Parked#positions()}. */
  void park(Parked p) {
    command(() -> {
      parked.put(p.id(), p);
      assignAll();
      for (Map.Entry<TopicPartition, Long> e : p.positions().entrySet()) {
        if (!partitions.contains(e.getKey())) {
          continue;
        }
        long at = consumer.position(e.getKey());
        if (e.getValue() < at) {
          consumer.seek(e.getKey(), e.getValue());
        }
      }
    });
  }

  /** Stops reading for the subscription; completes with its positions, or null when it is not here (woken meanwhile). */
  CompletableFuture<@Nullable Map<TopicPartition, Long>> unpark(String id) {
    CompletableFuture<@Nullable Map<TopicPartition, Long>> done = new CompletableFuture<>();
    command(() -> {
      Parked p = parked.remove(id);
      done.complete(p == null ? null : Map.copyOf(p.positions()));
    });
    if (closing || !thread.isAlive()) {
      done.complete(null);
    }
    return done;
  }

  /** Queues a command for the reader's thread, which runs them between polls (a poll lasts at most 100 ms). */
  private void command(Runnable r) {
    commands.add(r);
    synchronized (this) {
      notifyAll();
    }
  }

  private void assignAll() {
    long now = System.nanoTime();
    if (!partitions.isEmpty() && now - partitionsReadAt < REFRESH_PARTITIONS_NANOS) {
      return;
    }
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
    List<TopicPartition> tps = new ArrayList<>();
    if (infos != null) {
      infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
    }
    partitionsReadAt = now;
    if (tps.equals(partitions)) {
      return;
    }
    List<TopicPartition> added = new ArrayList<>(tps);
    added.removeAll(partitions);
    partitions = tps;
    consumer.assign(tps);
    // a partition new to the reader: from the smallest position any parked subscription has in it
    for (TopicPartition tp : added) {
      long min = Long.MAX_VALUE;
      for (Parked p : parked.values()) {
        min = Math.min(min, p.positions().getOrDefault(tp, 0L));
      }
      consumer.seek(tp, min == Long.MAX_VALUE ? 0 : min);
    }
  }

  private void run() {
    try {
      while (!closing) {
        Runnable c;
        while ((c = commands.poll()) != null) {
          c.run();
        }
        fed.values().removeIf(FedConsumer::isClosed);
        if (parked.isEmpty() && fed.isEmpty()) {
          if (!partitions.isEmpty()) {
            consumer.assign(List.of());
            partitions = List.of();
          }
          synchronized (this) {
            if (commands.isEmpty() && !closing) {
              wait(1000);
            }
          }
          continue;
        }
        assignAll();
        if (partitions.isEmpty()) {
          // the topic does not exist (yet): a Kafka consumer assigned nothing may not poll
          synchronized (this) {
            if (commands.isEmpty() && !closing) {
              wait(1000);
            }
          }
          continue;
        }
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(100));
        } catch (WakeupException e) {
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          for (Iterator<Parked> it = parked.values().iterator(); it.hasNext(); ) {
            Parked p = it.next();
            // a partition the subscription has no position in appeared after it was parked: from its start
            long pos = p.positions().getOrDefault(tp, 0L);
            if (pos > r.offset()) {
              continue;
            }
            if (p.passes(r)) {
              it.remove();
              p.positions().put(tp, r.offset());
              FedConsumer f = wake.woken(p, Map.copyOf(p.positions()), ends);
              if (f != null) {
                fed.put(p.id(), f);
              }
            } else {
              p.positions().put(tp, r.offset() + 1);
              p.moved = true;
            }
          }
          // the woken ones' runners get it (the one that woke them included), unless they detached or stopped
          if (!fed.isEmpty()) {
            fed.values().removeIf(f -> !f.offer(tp, r));
          }
        }
        // what the reader passed without a record (transaction markers, aborted records) is behind every parked position too
        for (TopicPartition tp : partitions) {
          long at = consumer.position(tp, Duration.ofSeconds(5));
          java.util.OptionalLong lag = consumer.currentLag(tp);
          if (lag.isPresent()) {
            ends.put(tp, at + lag.getAsLong());
          }
          for (FedConsumer f : fed.values()) {
            f.advance(tp, at);
          }
          for (Parked p : parked.values()) {
            long pos = p.positions().getOrDefault(tp, 0L);
            if (pos < at) {
              p.positions().put(tp, at);
              p.moved = true;
            }
          }
        }
        long now = System.nanoTime();
        if (now - lastProgress >= commitEveryNanos) {
          lastProgress = now;
          List<Parked> moved = new ArrayList<>();
          for (Parked p : parked.values()) {
            if (p.moved) {
              p.moved = false;
              moved.add(p);
            }
          }
          if (!moved.isEmpty()) {
            progress.accept(moved);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (!closing) {
        log.error("shared reader of topic {} failed; its parked subscriptions are woken onto consumers of their own", topic, e);
        for (Parked p : parked.values()) {
          FedConsumer f = wake.woken(p, Map.copyOf(p.positions()), ends);
          if (f != null) {
            f.detach();
          }
        }
        parked.clear();
        fed.values().forEach(FedConsumer::detach);
        fed.clear();
      }
    } finally {
      try {
        consumer.close(Duration.ZERO);
      } catch (RuntimeException e) {
        log.debug("closing the shared reader of {}", topic, e);
      }
    }
  }

  /** The parked subscriptions still here, with their positions, after the thread stopped. */
  Map<String, Parked> stop() {
    closing = true;
    consumer.wakeup();
    synchronized (this) {
      notifyAll();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return parked;
  }

  @Override
  public void close() {
    stop();
  }

}
