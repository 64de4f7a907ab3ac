package io.webhookd.it;

import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.internal.Engine;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The delivery promise where it is hardest to keep: an error in the middle of a record, a runner
 * abandoned as a dead process would be, requests that outlive their runner, rebalances while
 * requests are open or partitions paused, partitions lost. Each on a real broker.
 */
class DeliveryPromiseTest extends ReceiverTestBase {

  DeliveryPromiseTest(KafkaCluster kafka) {
    super(kafka);
  }

  private SubscriptionSpec.Builder spec(String topic, int batchSize, Duration interval) {
    return SubscriptionSpec.builder()
        .name("promise")
        .webhookUrl(receiver.url().toString())
        .source(topic)
        .maxBatchSize(batchSize)
        .maxBatchInterval(interval)
        .retryInitialDelay(Duration.ofMillis(20))
        .retryMaxDelay(Duration.ofMillis(200));
  }

  private static boolean holds(ReceivedRequest r, int partition, long offset) {
    return r.messages().stream().anyMatch(m -> m.partition() == partition && m.offset() == offset);
  }

  /** A responder that holds the first request holding {@code partition}/{@code offset} until released. */
  private static final class Hold {
    final CountDownLatch arrived = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicBoolean used = new AtomicBoolean();

    Response respond(ReceivedRequest r, int partition, long offset) {
      if (holds(r, partition, offset) && used.compareAndSet(false, true)) {
        arrived.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Response.ok();
    }
  }

  // ------------------------------------------------------------------ finding 1

  @Test
  @DisplayName("an Error while a record is handled crashes the runner without committing past that record; the restarted runner delivers it")
  void errorInsideHandleCommitsNothingPastTheRecord() {
    String t = topic(kafka, "error-in-handle", 1);
    AtomicBoolean thrown = new AtomicBoolean();
    Engine engine =
        Engines.on(kafka)
            .consumers(props -> new KafkaConsumer<byte[], byte[]>(props) {
              @Override
              public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
                return thrown.get() ? super.poll(timeout) : poisonOffset10(super.poll(timeout), thrown);
              }
            })
            .start();
    try {
      Subscription s = engine.subscribe(spec(t, 5, Duration.ofMillis(20)).build(), null);
      kafka.produce(t, jsonMessages(t, 0, 10));
      receiver.awaitDeliveredCount(10, Duration.ofSeconds(30));
      TopicPartition p0 = new TopicPartition(t, 0);
      await().atMost(Duration.ofSeconds(15)).until(() -> Long.valueOf(10).equals(kafka.committedOffsets(s.groupId()).get(p0)));

      kafka.produce(t, jsonMessages(t, 10, 10));
      await().atMost(Duration.ofSeconds(15)).untilTrue(thrown);
      // the runner crashed while it handled offset 10: nothing past 10 may be committed until 10 is delivered
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() ->
          receiver.uniqueDeliveredIds().contains(ReceivedMessage.id(t, 0, 10))
              || kafka.committedOffsets(s.groupId()).getOrDefault(p0, 0L) <= 10);
      receiver.awaitDeliveredCount(20, Duration.ofSeconds(60)); // the engine restarts the runner after 5 s
      assertThat(receiver.uniqueDeliveredIds()).contains(ReceivedMessage.id(t, 0, 10)).hasSize(20);
      DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
    } finally {
      engine.close();
    }
  }

  /** Replaces the record at offset 10 with one whose value cannot be read (a stand-in for heap exhaustion in the encoder). */
  private static ConsumerRecords<byte[], byte[]> poisonOffset10(ConsumerRecords<byte[], byte[]> rs, AtomicBoolean thrown) {
    if (rs.isEmpty()) {
      return rs;
    }
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> out = new HashMap<>();
    for (TopicPartition tp : rs.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : rs.records(tp)) {
        if (r.offset() == 10) {
          list.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), r.value()) {
            @Override
            public byte[] value() {
              thrown.set(true);
              throw new OutOfMemoryError("simulated: the heap ran out while offset 10 was encoded");
            }
          });
        } else {
          list.add(r);
        }
      }
      out.put(tp, list);
    }
    return new ConsumerRecords<>(out, rs.nextOffsets());
  }

  // ------------------------------------------------------------------ finding 2

  @Test
  @DisplayName("an abandoned engine commits nothing more, not even a batch answered while it stops; the next engine re-delivers it with the same webhook-id")
  void abandonIsACrashAndTheNextEngineRecoversFromUncommittedState() throws Exception {
    String t = topic(kafka, "abandon", 1);
    TopicPartition p0 = new TopicPartition(t, 0);
    SubscriptionStore store = SubscriptionStore.inMemory();
    kafka.produce(t, jsonMessages(t, 0, 100));
    Hold hold = new Hold();
    receiver.respondWith((n, r) -> hold.respond(r, 0, 50));
    AtomicBoolean dying = new AtomicBoolean();
    // the held request (50..59) is answered 200 the moment the engine is told to stop
    Engine first =
        Engines.on(kafka).store(store).requestTimeout(Duration.ofSeconds(20))
            .consumers(props -> new KafkaConsumer<byte[], byte[]>(props) {
              @Override
              public void wakeup() {
                if (dying.get()) {
                  hold.release.countDown();
                }
                super.wakeup();
              }
            })
            .start();
    Subscription s = first.subscribe(spec(t, 10, Duration.ofSeconds(5)).build(), null);
    assertThat(hold.arrived.await(60, TimeUnit.SECONDS)).isTrue();
    dying.set(true);
    first.abandonForTesting();
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.requests().stream().anyMatch(r -> holds(r, 0, 50)));
    ReceivedRequest delivered = receiver.requests().stream().filter(r -> holds(r, 0, 50)).findFirst().orElseThrow();
    assertThat(delivered.answeredSuccess()).isTrue();
    // the receiver accepted 50..59, but a dead engine commits nothing more
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
        .until(() -> kafka.committedOffsets(s.groupId()).getOrDefault(p0, 0L) <= 50);

    Engine second = Engines.on(kafka).store(store).start();
    try {
      receiver.awaitDeliveredCount(100, Duration.ofSeconds(90));
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requests().stream().filter(r -> holds(r, 0, 50)).count() == 2);
    } finally {
      second.close();
    }
    List<ReceivedRequest> both = receiver.requests().stream().filter(r -> holds(r, 0, 50)).toList();
    assertThat(both).extracting(ReceivedRequest::batchId).containsOnly(delivered.batchId());
    assertThat(receiver.uniqueDeliveredIds()).hasSize(100);
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  // ------------------------------------------------------------------ finding 3

  @Test
  @DisplayName("an update while a batch outlives the shutdown timeout: the new runner sends nothing of that partition until the open request answers")
  void updateWhileABatchOutlivesTheShutdownTimeout() throws Exception {
    String t = topic(kafka, "outlives", 1);
    Hold hold = new Hold();
    AtomicInteger arrivals = new AtomicInteger();
    receiver.respondWith((n, r) -> {
      arrivals.incrementAndGet();
      return hold.respond(r, 0, 0);
    });
    Engine engine = Engines.on(kafka).requestTimeout(Duration.ofSeconds(20)).shutdownTimeout(Duration.ofMillis(500)).start();
    try {
      kafka.produce(t, jsonMessages(t, 0, 30));
      Subscription s = engine.subscribe(spec(t, 10, Duration.ofSeconds(2)).build(), null);
      assertThat(hold.arrived.await(60, TimeUnit.SECONDS)).isTrue();
      engine.update(s.id(), s.spec().toBuilder().name("renamed").build(), s.version());
      // the new runner re-reads 0..29 but may not send 0..9 again while the first request is open
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> arrivals.get() == 1);
      hold.release.countDown();
      receiver.awaitDeliveredCount(30, Duration.ofSeconds(60));
    } finally {
      engine.close();
    }
    assertThat(receiver.overlaps()).isEmpty();
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  @ParameterizedTest(name = "group.protocol={0}")
  @ValueSource(strings = {"classic", "consumer"})
  @DisplayName("a request open for 7 s through a rebalance: the partition's next owner waits for it; no overlap, none missing")
  void revokeWaitsForARequestLongerThanFiveSeconds(String protocol) throws Exception {
    String t = topic(kafka, "slow-revoke", 2);
    SubscriptionStore store = SubscriptionStore.inMemory();
    CountDownLatch slowArrived = new CountDownLatch(1);
    receiver.respondWith((n, r) -> {
      if (r.messages().stream().anyMatch(m -> m.offset() == 20)) {
        slowArrived.countDown();
        return Response.ok().withDelay(Duration.ofSeconds(7));
      }
      return Response.ok().withDelay(Duration.ofMillis(5));
    });
    Engines engines = Engines.on(kafka).store(store).requestTimeout(Duration.ofSeconds(10)).kafka("group.protocol", protocol);
    Engine a = engines.start();
    Engine b = null;
    try {
      a.subscribe(spec(t, 10, Duration.ofMillis(50)).build(), null);
      kafka.produce(t, keyedToPartitions(t, 2, 200));
      assertThat(slowArrived.await(60, TimeUnit.SECONDS)).isTrue();
      b = engines.start(); // joins the group while the slow request is open
      receiver.awaitDeliveredCount(200, Duration.ofSeconds(90));
    } finally {
      if (b != null) {
        b.close();
      }
      a.close();
    }
    assertThat(receiver.overlaps()).isEmpty();
    assertThat(receiver.uniqueDeliveredIds()).hasSize(200);
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  @Test
  @DisplayName("partitions lost (the consumer missed max.poll.interval.ms): nothing is committed for them, nothing lost, no overlap")
  void lostPartitions() {
    String t = topic(kafka, "lost", 2);
    List<String> abandonReasons = new CopyOnWriteArrayList<>();
    AtomicBoolean stalled = new AtomicBoolean();
    SubscriptionListener stallOnce =
        new SubscriptionListener() {
          @Override
          public void batchStarted(String id, String batchId, int size) {
            if (stalled.compareAndSet(false, true)) {
              try {
                Thread.sleep(10_000); // the consumer thread misses max.poll.interval.ms (7 s)
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }

          @Override
          public void batchAbandoned(String id, String batchId, String reason) {
            abandonReasons.add(reason);
          }
        };
    Engine engine =
        Engines.on(kafka).requestTimeout(Duration.ofSeconds(1)).kafka("max.poll.interval.ms", 7000).listener(stallOnce).start();
    try {
      engine.subscribe(spec(t, 10, Duration.ofMillis(50)).build(), null);
      kafka.produce(t, keyedToPartitions(t, 2, 100));
      receiver.awaitDeliveredCount(100, Duration.ofSeconds(90));
    } finally {
      engine.close();
    }
    assertThat(abandonReasons).contains("partitions lost");
    assertThat(receiver.overlaps()).isEmpty();
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  // ------------------------------------------------------------------ records and pauses

  @Test
  @DisplayName("tombstones (null values) are delivered with value null and committed")
  void tombstones() {
    String t = topic(kafka, "tombstones", 1);
    Engine engine = Engines.on(kafka).start();
    try {
      Subscription s = engine.subscribe(spec(t, 10, Duration.ofMillis(50)).build(), null);
      List<ProducerRecord<String, byte[]>> records = new ArrayList<>(jsonMessages(t, 0, 2));
      records.add(new ProducerRecord<>(t, "key-deleted", null));
      kafka.produce(t, records);
      receiver.awaitDeliveredCount(3, Duration.ofSeconds(30));
      ReceivedMessage tombstone = receiver.deliveredMessages().get(2);
      assertThat(tombstone.key()).isEqualTo("key-deleted");
      assertThat(tombstone.value().isNull()).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(3).equals(kafka.committedOffsets(s.groupId()).get(new TopicPartition(t, 0))));
    } finally {
      engine.close();
    }
  }

  @Test
  @DisplayName("a rebalance while partitions are paused (buffers full): the partitions are read again after it, none missing, no overlap")
  void rebalanceWhilePaused() {
    String t = topic(kafka, "paused", 2);
    SubscriptionStore store = SubscriptionStore.inMemory();
    AtomicInteger pauses = new AtomicInteger();
    Engines engines =
        Engines.on(kafka).store(store).consumers(props -> new KafkaConsumer<byte[], byte[]>(props) {
          @Override
          public void pause(Collection<TopicPartition> partitions) {
            pauses.addAndGet(partitions.size());
            super.pause(partitions);
          }
        });
    AtomicBoolean slow = new AtomicBoolean(true);
    receiver.respondWith((n, r) -> Response.ok().withDelay(Duration.ofMillis(slow.get() ? 100 : 0)));
    Engine a = engines.start();
    Engine b = null;
    try {
      Subscription s = a.subscribe(spec(t, 1, Duration.ofMillis(10)).build(), null);
      kafka.produce(t, keyedToPartitions(t, 2, 6000));
      await().atMost(Duration.ofSeconds(60)).until(() -> pauses.get() > 0); // 2000 buffered in a partition
      b = engines.start();
      awaitMembersWithPartitions(s.groupId(), 2); // the rebalance happened while a's partitions were paused
      slow.set(false);
      receiver.awaitDeliveredCount(6000, Duration.ofSeconds(120));
    } finally {
      if (b != null) {
        b.close();
      }
      a.close();
    }
    assertThat(receiver.overlaps()).isEmpty();
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  private void awaitMembersWithPartitions(String group, int members) {
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      var d = kafka.admin().describeConsumerGroups(List.of(group)).describedGroups().get(group).get(10, TimeUnit.SECONDS);
      return d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count() == members;
    });
  }

  /** {@code count} JSON messages, spread evenly over {@code partitions} partitions. */
  static List<ProducerRecord<String, byte[]>> keyedToPartitions(String topic, int partitions, int count) {
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    for (ProducerRecord<String, byte[]> r : jsonMessages(topic, 0, count)) {
      int n = out.size();
      out.add(new ProducerRecord<>(topic, n % partitions, r.key(), r.value()));
    }
    return out;
  }
}
