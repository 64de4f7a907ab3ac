package io.webhookd.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engine's membership of the coordination group: one thread, {@code webhookd-engines}, owns a
 * {@link KafkaConsumer} in a classic group over the slots topic (created here when absent), with
 * {@link SlotAssignor} as its assignor. The consumer reads nothing (its partitions are paused); it
 * is there for the group: Kafka detects an engine that died (its session of {@link
 * #SESSION_TIMEOUT_MS} expires) and rebalances the slots over the others. After each assignment
 * the thread hands the new {@link SlotTable} to the engine, outside Kafka's callbacks.
 *
 * <p>A revoke does nothing: an engine keeps running its subscriptions until it learns the new table
 * and then stops those that moved away. Two engines may so run one subscription for a moment,
 * which is safe: they share its Kafka group {@code webhooks-{id}}, whose rebalance hands the
 * partitions over (a revoke waits for open requests and commits), exactly as in {@code GROUPS}
 * mode.
 *
 * <p>Thread-safe: {@link #close()} and {@link #abandon()} may be called from any thread; they
 * wake the consumer and wait for the thread.
 */
final class EngineCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EngineCoordinator.class);
  /** Kafka's smallest by default (the broker's {@code group.min.session.timeout.ms}): an engine that dies is noticed soonest. */
  static final int SESSION_TIMEOUT_MS = 6_000;

  /** What the engine does with a new table; runs on the coordinator's thread. */
  interface Listener {
    void assigned(SlotTable table);
  }

  private final Map<String, Object> kafka;
  private final String engineId;
  private final String group;
  private final String topic;
  private final int slots;
  private final Listener listener;
  private final Thread thread;
  private final Object consumerLock = new Object();
  private @Nullable KafkaConsumer<byte[], byte[]> consumer;
  private volatile boolean stopping;
  private volatile boolean abandoning;
  private volatile @Nullable SlotTable pending;

  EngineCoordinator(Map<String, Object> kafka, String engineId, String group, String topic, int slots, Listener listener) {
    this.kafka = Map.copyOf(kafka);
    this.engineId = engineId;
    this.group = group;
    this.topic = topic;
    this.slots = slots;
    this.listener = listener;
    this.thread = new Thread(this::run, "webhookd-engines");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    long backoff = 500;
    while (!stopping) {
      try {
        ensureTopic();
        break;
      } catch (RuntimeException e) {
        log.warn("cannot create or read the slots topic {} ({}); will try again", topic, e.toString());
        sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
    KafkaConsumer<byte[], byte[]> c = null;
    try {
      synchronized (consumerLock) {
        if (stopping) {
          return;
        }
        c = new KafkaConsumer<>(consumerProperties());
        consumer = c;
      }
      SlotAssignor assignor = SlotAssignor.take(engineId);
      KafkaConsumer<byte[], byte[]> self = c;
      c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          self.pause(partitions);
          SlotTable t = assignor == null ? null : assignor.table();
          if (t != null) {
            pending = t;
          }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
          log.warn("engine {} lost its slots (its session in group {} expired); it keeps its subscriptions until it"
              + " has joined again", engineId, group);
        }
      });
      while (!stopping) {
        try {
          c.poll(Duration.ofSeconds(1));
        } catch (WakeupException e) {
          continue;
        } catch (RuntimeException e) {
          log.warn("coordination consumer of engine {}: {}", engineId, e.toString());
          sleep(1000);
        }
        SlotTable t = pending;
        if (t != null) {
          pending = null;
          try {
            listener.assigned(t);
          } catch (RuntimeException e) {
            log.error("engine {} could not apply its slots", engineId, e);
          }
        }
      }
    } finally {
      if (c != null) {
        try {
          if (abandoning) {
            // as a process that died: stay in the group until the session expires
            c.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                .withTimeout(Duration.ZERO));
          } else {
            c.close(Duration.ofSeconds(5));
          }
        } catch (RuntimeException e) {
          log.debug("closing the coordination consumer", e);
        }
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Creates the slots topic when absent: {@code slots} partitions, replicated as the cluster allows (up to 3). */
  private void ensureTopic() {
    Map<String, Object> props = new HashMap<>();
    Set<String> adminNames = AdminClientConfig.configNames();
    kafka.forEach((k, v) -> {
      if (adminNames.contains(k)) {
        props.put(k, v);
      }
    });
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "webhookd-engine-admin-" + engineId);
    try (Admin admin = Admin.create(props)) {
      Map<String, TopicDescription> found = Map.of();
      try {
        found = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (found.isEmpty()) {
        int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
        short replication = (short) Math.max(1, Math.min(3, brokers));
        try {
          admin.createTopics(List.of(new NewTopic(topic, slots, replication))).all().get(30, TimeUnit.SECONDS);
          log.info("created the slots topic {} ({} partitions, replication {})", topic, slots, replication);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      } else {
        int partitions = found.get(topic).partitions().size();
        if (partitions != slots) {
          log.info("the slots topic {} has {} partitions (slots), not {}: using {}", topic, partitions, slots, partitions);
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause() == null ? e.toString() : e.getCause().toString(), e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private Map<String, Object> consumerProperties() {
    Map<String, Object> props = new HashMap<>(kafka);
    // a custom assignor needs the classic protocol; the broker-side one of KIP-848 would not run it
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    props.remove(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "webhookd-engine-" + engineId);
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS);
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, SlotAssignor.class.getName());
    props.put(SlotAssignor.ENGINE_ID_CONFIG, engineId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }

  /** Leaves the group (the others take the slots at once) and stops the thread. Idempotent. */
  @Override
  public void close() {
    stop(false);
  }

  /** Stops as a process that died: the group keeps this member until its session expires. */
  void abandon() {
    stop(true);
  }

  private void stop(boolean abandon) {
    abandoning = abandon;
    stopping = true;
    synchronized (consumerLock) {
      if (consumer != null) {
        consumer.wakeup();
      }
    }
    if (Thread.currentThread() != thread) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    SlotAssignor.take(engineId);
  }
}
