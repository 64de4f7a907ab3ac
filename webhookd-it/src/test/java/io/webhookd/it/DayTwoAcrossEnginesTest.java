package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.ActivityEvent;
import io.webhookd.DeadLetter;
import io.webhookd.Position;
import io.webhookd.ReplayFrom;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WithKafka;
import io.webhookd.testsupport.PostgresSchema;
import io.webhookd.testsupport.RequiresPostgres;
import io.webhookd.testsupport.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Replay and skip when two engines share PostgreSQL: the engine that gets the operator's request
 * is not always the one that holds the subscription's partitions.
 */
@WithKafka
@RequiresPostgres
class DayTwoAcrossEnginesTest {
  private final KafkaCluster kafka;
  private WebhookReceiver receiver;
  private PostgresSchema schema;
  private final String key = newKey();

  DayTwoAcrossEnginesTest(KafkaCluster kafka) {
    this.kafka = kafka;
  }

  @BeforeEach
  void setUp(TestPostgres postgres) {
    receiver = WebhookReceiver.start();
    schema = postgres.newSchema();
  }

  @AfterEach
  void tearDown() {
    receiver.close();
    schema.close();
  }

  private Webhookd engineOnPostgres() {
    return engine(kafka)
        .store(JdbcSubscriptionStore.builder().jdbcUrl(schema.jdbcUrl()).encryptionKey(key).build())
        .storePollInterval(Duration.ofMillis(300))
        .build();
  }

  private static String newKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  private SubscriptionSpec.Builder spec(String t) {
    return SubscriptionSpec.builder().name("across").webhookUrl(receiver.url().toString()).source(t)
        .maxBatchSize(20).maxBatchInterval(Duration.ofMillis(50))
        .retryInitialDelay(Duration.ofMillis(50)).retryMaxDelay(Duration.ofMillis(200));
  }

  @Test
  @DisplayName("replay by timestamp and by offsets while both engines hold partitions: both let the group go, none commits an old position over the new one, delivery continues from the new positions")
  void replayAcrossEngines() {
    String t = topic(kafka, "replay-x", 4);
    try (Webhookd a = engineOnPostgres(); Webhookd b = engineOnPostgres()) {
      Subscription s = a.subscribe(spec(t).parallelism(2).build());
      await().atMost(Duration.ofSeconds(30)).until(() -> a.isRunning(s.id()) && b.isRunning(s.id()));
      kafka.produce(t, jsonMessages(t, 0, 200));
      receiver.awaitDeliveredCount(200, Duration.ofSeconds(60));
      // both engines delivered: each holds some of the partitions
      await().atMost(Duration.ofSeconds(30)).until(() ->
          a.status(s.id()).orElseThrow().recentActivity().stream().anyMatch(e -> e.type() == ActivityEvent.Type.API_CALL)
              && b.status(s.id()).orElseThrow().recentActivity().stream().anyMatch(e -> e.type() == ActivityEvent.Type.API_CALL));
      Instant between = Instant.now();
      await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(between.plusMillis(5)));
      kafka.produce(t, jsonMessages(t, 200, 100));
      receiver.awaitDeliveredCount(300, Duration.ofSeconds(60));

      List<Position> positions = b.replay(s.id(), ReplayFrom.at(between), "ops");
      assertThat(positions).hasSize(4);
      await().atMost(Duration.ofSeconds(60)).until(() -> receiver.deliveredMessages().size() >= 400);
      List<ReceivedMessage> again = receiver.deliveredMessages().subList(300, receiver.deliveredMessages().size());
      // exactly the 100 produced after the timestamp came again, from every partition; nothing older
      assertThat(again).hasSize(100).allMatch(m -> m.value().get("n").asInt() >= 200);
      assertThat(again.stream().map(ReceivedMessage::partition).distinct()).hasSize(4);

      // by offsets: partitions 0 and 3 from their start, the others stay where they are (once the
      // group has committed everything: 300 messages)
      await().atMost(Duration.ofSeconds(30)).until(() ->
          kafka.committedOffsets(s.groupId()).values().stream().mapToLong(Long::longValue).sum() == 300);
      Map<TopicPartition, Long> ends = kafka.committedOffsets(s.groupId());
      b.replay(s.id(), ReplayFrom.offsets(List.of(new Position(t, 0, 0), new Position(t, 3, 0))), null);
      long expected = ends.get(new TopicPartition(t, 0)) + ends.get(new TopicPartition(t, 3));
      await().atMost(Duration.ofSeconds(60)).until(() -> receiver.deliveredMessages().size() >= 400 + expected);
      List<ReceivedMessage> third = receiver.deliveredMessages().subList(400, receiver.deliveredMessages().size());
      assertThat(third).hasSize((int) expected).allMatch(m -> m.partition() == 0 || m.partition() == 3);
      Map<Integer, Long> perPartition = third.stream().collect(Collectors.groupingBy(ReceivedMessage::partition, Collectors.counting()));
      assertThat(perPartition.get(0)).isEqualTo(ends.get(new TopicPartition(t, 0)));
      assertThat(perPartition.get(3)).isEqualTo(ends.get(new TopicPartition(t, 3)));
      // the group's committed offsets are back at the ends, none older
      await().atMost(Duration.ofSeconds(30)).until(() -> kafka.committedOffsets(s.groupId()).equals(ends));
    }
  }

  @Test
  @DisplayName("skip asked of the engine that does not run the subscription: the engine holding the failing batch moves it to the dead letters")
  void skipAcrossEngines() {
    String t = topic(kafka, "skip-x", 1);
    receiver.respondWith((n, r) -> r.bodyAsString().contains("\"poison\":true")
        ? WebhookReceiver.Response.status(400) : WebhookReceiver.Response.ok());
    try (Webhookd a = engineOnPostgres(); Webhookd b = engineOnPostgres()) {
      Subscription s = a.subscribe(spec(t).maxBatchSize(1).build());
      await().atMost(Duration.ofSeconds(30)).until(() -> a.isRunning(s.id()) != b.isRunning(s.id()));
      Webhookd holder = a.isRunning(s.id()) ? a : b;
      Webhookd other = holder == a ? b : a;
      kafka.produce(t, List.of(new ProducerRecord<>(t, "k", "{\"poison\":true}".getBytes(StandardCharsets.UTF_8))));
      kafka.produce(t, jsonMessages(t, 0, 5));
      await().atMost(Duration.ofSeconds(30)).until(() -> holder.status(s.id()).orElseThrow().recentActivity().stream()
          .filter(e -> e.type() == ActivityEvent.Type.API_CALL && Integer.valueOf(400).equals(e.responseCode())).count() >= 2);
      String batchId = holder.status(s.id()).orElseThrow().recentActivity().stream()
          .filter(e -> e.type() == ActivityEvent.Type.API_CALL && e.batchId() != null).findFirst().orElseThrow().batchId();

      other.skip(s.id(), batchId, "ops");

      receiver.awaitDeliveredCount(5, Duration.ofSeconds(30));
      List<DeadLetter> dls = other.deadLetters(s.id(), null, 10).deadLetters();
      assertThat(dls).singleElement().satisfies(d -> {
        assertThat(d.reason()).isEqualTo(DeadLetter.SKIPPED);
        assertThat(d.batchId()).isEqualTo(batchId);
      });
    }
  }
}
