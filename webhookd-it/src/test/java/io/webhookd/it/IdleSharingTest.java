package io.webhookd.it;

import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.internal.Engine;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions that caught up give up their own consumer to their topic's shared reader, and come
 * back to it when a record passes their filters: nothing is lost or reordered across the switches,
 * and their groups {@code webhooks-{id}} hold committed offsets in both modes.
 */
class IdleSharingTest extends ReceiverTestBase {

  IdleSharingTest(KafkaCluster kafka) {
    super(kafka);
  }

  private SubscriptionSpec spec(String topic, String name, List<String> filters) {
    return SubscriptionSpec.builder()
        .name(name)
        .webhookUrl(receiver.url("/" + name).toString())
        .source(topic, filters)
        .maxBatchSize(20)
        .maxBatchInterval(Duration.ofMillis(50))
        .build();
  }

  private Map<String, List<ReceivedMessage>> deliveredByPath() {
    Map<String, List<ReceivedMessage>> byPath = new HashMap<>();
    for (ReceivedRequest r : receiver.requests()) {
      if (r.answeredSuccess() && !r.messages().isEmpty()) {
        byPath.computeIfAbsent(r.path(), p -> new ArrayList<>()).addAll(r.messages());
      }
    }
    return byPath;
  }

  private Set<String> ids(String path) {
    Set<String> ids = new HashSet<>();
    deliveredByPath().getOrDefault(path, List.of()).forEach(m -> ids.add(m.id()));
    return ids;
  }

  @Test
  @DisplayName("switching between the shared reader and their own consumer under bursts: every passing message delivered once at least, in order; nothing else; offsets committed in both modes")
  void switchesLoseAndReorderNothing() {
    String t = topic(kafka, "idle", 3);
    Engine engine = Engines.on(kafka).scaling(Engine.Scaling.defaults().withIdleAfter(Duration.ofSeconds(1))).start();
    try {
      Subscription eu = engine.subscribe(spec(t, "eu", List.of("value.region == 'eu'")), null);
      Subscription all = engine.subscribe(spec(t, "all", List.of()), null);
      Subscription none = engine.subscribe(spec(t, "none", List.of("value.n < `0`")), null);
      await().atMost(Duration.ofSeconds(60)).until(() ->
          engine.isParked(eu.id()) && engine.isParked(all.id()) && engine.isParked(none.id()));
      assertThat(engine.isRunning(eu.id())).isTrue();

      Set<String> euIds = new HashSet<>();
      Set<String> allIds = new HashSet<>();
      int rounds = 4;
      for (int round = 0; round < rounds; round++) {
        List<RecordMetadata> sent = kafka.produce(t, jsonMessages(t, round * 150, 150));
        for (int i = 0; i < sent.size(); i++) {
          String id = ReceivedMessage.id(t, sent.get(i).partition(), sent.get(i).offset());
          allIds.add(id);
          if ((round * 150 + i) % 2 == 0) {
            euIds.add(id);
          }
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          assertThat(ids("/all")).containsAll(allIds);
          assertThat(ids("/eu")).containsAll(euIds);
        });
        // back on the shared reader before the next burst
        await().atMost(Duration.ofSeconds(60)).until(() -> engine.isParked(eu.id()) && engine.isParked(all.id()));
      }
      assertThat(ids("/all")).isEqualTo(allIds);
      assertThat(ids("/eu")).isEqualTo(euIds);
      assertThat(ids("/none")).isEmpty();
      deliveredByPath().values().forEach(DeliveryTest::assertOrderedPerPartition);
      long[] pw = engine.parkingsAndWakings();
      assertThat(pw[1]).as("wakings").isGreaterThanOrEqualTo(2L * rounds);
      assertThat(pw[0]).as("parkings").isGreaterThanOrEqualTo(3 + 2L * rounds);
      assertThat(engine.isParked(none.id())).isTrue();

      // every group holds committed offsets at the end of the topic: the parked one's came from the shared reader
      Map<TopicPartition, Long> end = kafka.endOffsets(t);
      for (Subscription s : List.of(eu, all, none)) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
            assertThat(kafka.committedOffsets(s.groupId())).as("committed offsets of %s", s.spec().name()).isEqualTo(end));
      }

      // a parked subscription updated goes back to its own consumer with its new filters, from where the reader was
      engine.update(none.id(), spec(t, "none", List.of()), -1);
      List<RecordMetadata> more = kafka.produce(t, jsonMessages(t, 10_000, 30));
      Set<String> moreIds = new HashSet<>();
      more.forEach(m -> moreIds.add(ReceivedMessage.id(t, m.partition(), m.offset())));
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(ids("/none")).isEqualTo(moreIds));
    } finally {
      engine.close();
    }
  }
  @Test
  @DisplayName("with shared reading on, subscriptions start on their topic's shared reader: a backlog that passes wakes its subscription, which delivers all of it; one that passes nothing is committed without a consumer of its own")
  void subscriptionsStartOnTheSharedReader() {
    String t = topic(kafka, "idle-start", 3);
    List<RecordMetadata> backlog = kafka.produce(t, jsonMessages(t, 0, 90));
    Set<String> backlogIds = new HashSet<>();
    Set<String> euIds = new HashSet<>();
    for (int i = 0; i < backlog.size(); i++) {
      String id = ReceivedMessage.id(t, backlog.get(i).partition(), backlog.get(i).offset());
      backlogIds.add(id);
      if (i % 2 == 0) {
        euIds.add(id);
      }
    }
    // an idle time longer than the test: only a wake takes a subscription off the shared reader
    Engine engine = Engines.on(kafka).scaling(Engine.Scaling.defaults().withIdleAfter(Duration.ofMinutes(5))).start();
    try {
      Subscription none = engine.subscribe(spec(t, "start-none", List.of("value.n < `0`")), null);
      assertThat(engine.isParked(none.id())).as("parked as soon as subscribed").isTrue();
      assertThat(engine.isRunning(none.id())).isTrue();
      Subscription all = engine.subscribe(spec(t, "start-all", List.of()), null);
      Subscription eu = engine.subscribe(spec(t, "start-eu", List.of("value.region == 'eu'")), null);

      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        assertThat(ids("/start-all")).isEqualTo(backlogIds);
        assertThat(ids("/start-eu")).isEqualTo(euIds);
      });
      deliveredByPath().values().forEach(DeliveryTest::assertOrderedPerPartition);
      assertThat(engine.isParked(all.id())).as("woken by its backlog").isFalse();
      assertThat(engine.isParked(eu.id())).isFalse();
      assertThat(engine.isParked(none.id())).as("nothing passed: never woken").isTrue();
      assertThat(engine.parkingsAndWakings()).as("parkings, wakings, detachments").containsExactly(3L, 2L, 0L);
      assertThat(ids("/start-none")).isEmpty();
      // the filtered-out backlog is committed to its group by the shared reader, as its own consumer would have
      Map<TopicPartition, Long> end = kafka.endOffsets(t);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(kafka.committedOffsets(none.groupId())).isEqualTo(end));
    } finally {
      engine.close();
    }
  }
  @Test
  @DisplayName("a woken subscription whose runner falls behind its shared reader detaches onto a consumer of its own: nothing lost or reordered, and it comes back to the reader once caught up")
  void aRunnerThatFallsBehindDetaches() {
    String t = topic(kafka, "idle-detach", 3);
    Engine engine = Engines.on(kafka).scaling(Engine.Scaling.defaults().withIdleAfter(Duration.ofSeconds(2))).start();
    try {
      Subscription all = engine.subscribe(spec(t, "detach-all", List.of()), null);
      assertThat(engine.isParked(all.id())).isTrue();
      // far more than a fed consumer holds (twice the runner's buffer of 2,000), produced at once
      List<RecordMetadata> sent = kafka.produce(t, jsonMessages(t, 0, 12_000));
      Set<String> sentIds = new HashSet<>();
      sent.forEach(m -> sentIds.add(ReceivedMessage.id(t, m.partition(), m.offset())));
      await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(ids("/detach-all")).isEqualTo(sentIds));
      deliveredByPath().values().forEach(DeliveryTest::assertOrderedPerPartition);
      long[] pw = engine.parkingsAndWakings();
      assertThat(pw[1]).as("wakings").isGreaterThanOrEqualTo(1L);
      assertThat(pw[2]).as("detachments").isGreaterThanOrEqualTo(1L);
      await().atMost(Duration.ofSeconds(60)).until(() -> engine.isParked(all.id()));
      Map<TopicPartition, Long> end = kafka.endOffsets(t);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(kafka.committedOffsets(all.groupId())).isEqualTo(end));
    } finally {
      engine.close();
    }
  }
  @Test
  @DisplayName("a subscription to a topic that does not exist yet starts on the shared reader, holds up no other, and delivers once the topic exists")
  void aTopicThatDoesNotExistYet() {
    String later = "idle-later-" + java.util.UUID.randomUUID();
    String t = topic(kafka, "idle-beside", 1);
    Engine engine = Engines.on(kafka).scaling(Engine.Scaling.defaults().withIdleAfter(Duration.ofMinutes(5))).start();
    try {
      Subscription waiting = engine.subscribe(spec(later, "later", List.of()), null);
      Subscription beside = engine.subscribe(spec(t, "beside", List.of()), null);
      assertThat(engine.isParked(waiting.id())).isTrue();
      assertThat(engine.isParked(beside.id())).isTrue();
      List<RecordMetadata> first = kafka.produce(t, jsonMessages(t, 0, 5));
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(ids("/beside")).hasSize(first.size()));

      // the topic appears (the reader's metadata requests may create it first, as a consumer does where the broker creates topics)
      List<RecordMetadata> sent = kafka.produce(later, jsonMessages(later, 0, 20));
      Set<String> sentIds = new HashSet<>();
      sent.forEach(m -> sentIds.add(ReceivedMessage.id(later, m.partition(), m.offset())));
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(ids("/later")).isEqualTo(sentIds));
    } finally {
      engine.close();
    }
  }
}
