package io.webhookd.it;

import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Ordering;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.internal.Engine;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver.Responder;
import io.webhookd.testkit.WebhookReceiver.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code configuration.ordering} and {@code max_in_flight} on a real broker with a real HTTP
 * receiver: order per key under retries and answers that come back out of order, no loss across a
 * crash in each mode, a partition revoked while several of its batches are in flight.
 */
class OrderingTest extends ReceiverTestBase {

  OrderingTest(KafkaCluster kafka) {
    super(kafka);
  }

  private SubscriptionSpec.Builder spec(String topic, Ordering ordering, int batchSize, int maxInFlight) {
    return SubscriptionSpec.builder()
        .name("ordering-" + ordering.wireName())
        .webhookUrl(receiver.url().toString())
        .source(topic)
        .maxBatchSize(batchSize)
        .maxBatchInterval(Duration.ofMillis(20))
        .retryInitialDelay(Duration.ofMillis(20))
        .retryMaxDelay(Duration.ofMillis(200))
        .ordering(ordering)
        .maxInFlight(maxInFlight);
  }

  /**
   * {@code count} JSON messages on {@code partitions} partitions (round robin), keys {@code
   * customer-0} to {@code customer-<keys-1>}, every tenth without a key.
   */
  private static List<ProducerRecord<String, byte[]>> keyed(String topic, int partitions, int keys, int count) {
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String key = i % 10 == 9 ? null : "customer-" + (i % keys);
      out.add(new ProducerRecord<>(topic, i % partitions, key, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  /**
   * Wraps a responder: records every request that arrived while an earlier request holding a
   * message of the same key of the same partition was unanswered, and the most requests of one
   * partition open at once. The wrapped responder's own delay runs inside the window.
   */
  private static final class KeyWatch {
    final Map<String, AtomicInteger> openKeys = new ConcurrentHashMap<>();
    final Map<Integer, AtomicInteger> openPerPartition = new ConcurrentHashMap<>();
    final AtomicInteger mostOpenOfOnePartition = new AtomicInteger();
    final List<String> keyOverlaps = new CopyOnWriteArrayList<>();

    Responder around(Responder inner) {
      return (n, r) -> {
        Set<String> keys = new HashSet<>();
        Set<Integer> parts = new HashSet<>();
        for (ReceivedMessage m : r.messages()) {
          keys.add(m.topic() + "/" + m.partition() + "/" + m.key());
          parts.add(m.partition());
        }
        for (String k : keys) {
          if (openKeys.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet() > 1) {
            keyOverlaps.add(r.batchId() + " " + k);
          }
        }
        for (int p : parts) {
          int open = openPerPartition.computeIfAbsent(p, x -> new AtomicInteger()).incrementAndGet();
          mostOpenOfOnePartition.accumulateAndGet(open, Math::max);
        }
        try {
          Response response = inner.respond(n, r);
          if (!response.delay().isZero()) {
            Thread.sleep(response.delay().toMillis()); // the receiver is slow for this request, inside the window
          }
          return response.withDelay(Duration.ZERO);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Response.status(500);
        } finally {
          // released before the answer leaves: webhookd cannot send the key's next batch before it has the answer
          keys.forEach(k -> openKeys.get(k).decrementAndGet());
          parts.forEach(p -> openPerPartition.get(p).decrementAndGet());
        }
      };
    }
  }

  /** Each key's messages (per partition) were first delivered in offset order; re-deliveries are skipped. */
  static void assertOrderedPerKey(List<ReceivedMessage> delivered) {
    Map<String, Long> last = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (ReceivedMessage m : delivered) {
      if (!seen.add(m.id())) {
        continue;
      }
      String k = m.topic() + "/" + m.partition() + "/" + m.key();
      Long prev = last.put(k, m.offset());
      if (prev != null) {
        assertThat(m.offset()).as("offset order of key %s", k).isGreaterThan(prev);
      }
    }
  }

  private void awaitCommittedTo(String group, String topic, int partitions, long perPartition) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Map<TopicPartition, Long> c = kafka.committedOffsets(group);
      for (int p = 0; p < partitions; p++) {
        if (!Long.valueOf(perPartition).equals(c.get(new TopicPartition(topic, p)))) {
          return false;
        }
      }
      return true;
    });
  }

  /** The committed offset of each partition is at most its first message not delivered yet. */
  private void assertNothingCommittedPastAnUndelivered(String group, String topic, int partitions, long perPartition) {
    Set<String> delivered = receiver.uniqueDeliveredIds();
    Map<TopicPartition, Long> committed = kafka.committedOffsets(group);
    for (int p = 0; p < partitions; p++) {
      long firstUndelivered = 0;
      while (firstUndelivered < perPartition && delivered.contains(ReceivedMessage.id(topic, p, firstUndelivered))) {
        firstUndelivered++;
      }
      assertThat(committed.getOrDefault(new TopicPartition(topic, p), 0L))
          .as("committed offset of partition %d against its first undelivered message", p)
          .isLessThanOrEqualTo(firstUndelivered);
    }
  }

  @Test
  @DisplayName("key order under retries and out-of-order answers: a receiver slow for some keys and failing some batches; batches of one partition overlap, never two of one key, each key in order")
  void keyOrderUnderRetriesAndSlowKeys() {
    String t = topic(kafka, "by-key", 2);
    KeyWatch watch = new KeyWatch();
    AtomicInteger failures = new AtomicInteger();
    receiver.respondWith(watch.around((n, r) -> {
      if (n % 7 == 0) {
        failures.incrementAndGet();
        return Response.status(503);
      }
      boolean slowKey = r.messages().stream().anyMatch(m -> m.key() != null && (m.key().equals("customer-0") || m.key().equals("customer-1")));
      return slowKey ? Response.ok().withDelay(Duration.ofMillis(120)) : Response.ok();
    }));
    Engine engine = Engines.on(kafka).start();
    try {
      Subscription s = engine.subscribe(spec(t, Ordering.KEY, 4, 8).build(), null);
      kafka.produce(t, keyed(t, 2, 12, 600));
      receiver.awaitDeliveredCount(600, Duration.ofSeconds(90));
      awaitCommittedTo(s.groupId(), t, 2, 300);
    } finally {
      engine.close();
    }
    assertThat(watch.keyOverlaps).as("requests holding a key of a partition while another with that key was open").isEmpty();
    assertThat(watch.mostOpenOfOnePartition.get()).as("batches of one partition in flight at once").isGreaterThan(1);
    assertThat(failures.get()).isPositive();
    assertOrderedPerKey(receiver.deliveredMessages());
    assertThat(receiver.uniqueDeliveredIds()).hasSize(600);
  }

  @Test
  @DisplayName("no ordering: batches of one partition overlap, failures hold back nothing else, every message is delivered and committed")
  void noOrderDeliversEverything() {
    String t = topic(kafka, "no-order", 2);
    KeyWatch watch = new KeyWatch();
    receiver.respondWith(watch.around((n, r) -> n % 5 == 0 ? Response.status(503) : Response.ok().withDelay(Duration.ofMillis(n % 3 * 30))));
    Engine engine = Engines.on(kafka).start();
    try {
      Subscription s = engine.subscribe(spec(t, Ordering.NONE, 5, 8).build(), null);
      kafka.produce(t, keyed(t, 2, 3, 400));
      receiver.awaitDeliveredCount(400, Duration.ofSeconds(90));
      awaitCommittedTo(s.groupId(), t, 2, 200);
    } finally {
      engine.close();
    }
    assertThat(watch.mostOpenOfOnePartition.get()).as("batches of one partition in flight at once").isGreaterThan(1);
    assertThat(receiver.uniqueDeliveredIds()).hasSize(400);
  }

  @Test
  @DisplayName("partition order with max_in_flight 4 and failures: never two batches of one partition open at once, each partition in order")
  void partitionOrderKeepsOneBatchPerPartition() {
    String t = topic(kafka, "by-partition", 3);
    receiver.respondWith((n, r) -> n % 6 == 0 ? Response.status(503) : Response.ok().withDelay(Duration.ofMillis(n % 4 * 10)));
    Engine engine = Engines.on(kafka).start();
    try {
      Subscription s = engine.subscribe(spec(t, Ordering.PARTITION, 3, 4).build(), null);
      kafka.produce(t, keyed(t, 3, 5, 300));
      receiver.awaitDeliveredCount(300, Duration.ofSeconds(90));
      awaitCommittedTo(s.groupId(), t, 3, 100);
    } finally {
      engine.close();
    }
    assertThat(receiver.overlaps()).isEmpty();
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  @ParameterizedTest
  @EnumSource(Ordering.class)
  @DisplayName("no loss across a crash in each mode: an engine abandoned mid-run commits nothing past an undelivered message; the next delivers the rest")
  void noLossAcrossACrash(Ordering ordering) {
    String t = topic(kafka, "crash-" + ordering.wireName(), 3);
    SubscriptionStore store = SubscriptionStore.inMemory();
    KeyWatch watch = new KeyWatch();
    // slow for some keys, failing some batches: answers come back out of order, holes below the delivered offsets
    receiver.respondWith(watch.around((n, r) -> {
      if (n % 5 == 0) {
        return Response.status(503);
      }
      boolean slow = r.messages().stream().anyMatch(m -> "customer-2".equals(m.key()));
      return Response.ok().withDelay(Duration.ofMillis(slow ? 200 : 10));
    }));
    Engine first = Engines.on(kafka).store(store).start();
    Subscription s = first.subscribe(spec(t, ordering, 3, 8).build(), null);
    kafka.produce(t, keyed(t, 3, 9, 600));
    await().atMost(Duration.ofSeconds(60)).until(() -> receiver.uniqueDeliveredIds().size() >= 200);
    first.abandonForTesting();
    assertNothingCommittedPastAnUndelivered(s.groupId(), t, 3, 200);
    int deliveredBefore = receiver.uniqueDeliveredIds().size();
    assertThat(deliveredBefore).isLessThan(600);

    Engine second = Engines.on(kafka).store(store).start();
    try {
      receiver.awaitDeliveredCount(600, Duration.ofSeconds(120));
      awaitCommittedTo(s.groupId(), t, 3, 200);
    } finally {
      second.close();
    }
    assertThat(receiver.uniqueDeliveredIds()).hasSize(600);
    if (ordering == Ordering.KEY) {
      assertThat(watch.keyOverlaps).isEmpty();
      assertOrderedPerKey(receiver.deliveredMessages());
    } else if (ordering == Ordering.PARTITION) {
      DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Ordering.class, names = {"KEY", "NONE"})
  @DisplayName("a partition revoked while several of its batches are in flight: the revoke waits for all of them, the next owner overlaps none, nothing lost")
  void revokeWithSeveralBatchesOfAPartitionInFlight(Ordering ordering) throws Exception {
    String t = topic(kafka, "revoke-lanes-" + ordering.wireName(), 2);
    SubscriptionStore store = SubscriptionStore.inMemory();
    KeyWatch watch = new KeyWatch();
    AtomicInteger slowOnes = new AtomicInteger();
    // the first six requests stay open 1.5 s each: several batches of each partition in flight when b joins
    receiver.respondWith(watch.around((n, r) -> Response.ok().withDelay(Duration.ofMillis(slowOnes.incrementAndGet() <= 6 ? 1500 : 5))));
    Engines engines = Engines.on(kafka).store(store).requestTimeout(Duration.ofSeconds(10));
    Engine a = engines.start();
    Engine b = null;
    Set<String> openAtJoin = ConcurrentHashMap.newKeySet();
    try {
      Subscription s = a.subscribe(spec(t, ordering, 2, 8).build(), null);
      kafka.produce(t, keyed(t, 2, 20, 400));
      await().atMost(Duration.ofSeconds(60)).until(() -> watch.mostOpenOfOnePartition.get() >= 2);
      watch.openKeys.forEach((k, v) -> {
        if (v.get() > 0) {
          openAtJoin.add(k);
        }
      });
      b = engines.start(); // joins the group while a has several batches of a partition open
      await().atMost(Duration.ofSeconds(60)).until(() -> membersWithPartitions(s.groupId()) == 2);
      receiver.awaitDeliveredCount(400, Duration.ofSeconds(90));
      awaitCommittedTo(s.groupId(), t, 2, 200);
    } finally {
      if (b != null) {
        b.close();
      }
      a.close();
    }
    assertThat(openAtJoin).isNotEmpty();
    assertThat(receiver.uniqueDeliveredIds()).hasSize(400);
    if (ordering == Ordering.KEY) {
      // across the two engines too: b sent no key of a revoked partition while a's request holding it was open
      assertThat(watch.keyOverlaps).isEmpty();
      assertOrderedPerKey(receiver.deliveredMessages());
    }
  }

  private long membersWithPartitions(String group) throws Exception {
    var d = kafka.admin().describeConsumerGroups(List.of(group)).describedGroups().get(group).get(10, TimeUnit.SECONDS);
    return d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
  }

}
