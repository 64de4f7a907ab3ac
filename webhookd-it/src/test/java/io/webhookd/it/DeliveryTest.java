package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DeliveryTest extends ReceiverTestBase {

  DeliveryTest(KafkaCluster kafka) {
    super(kafka);
  }

  @Test
  @DisplayName("thousands of messages over several topics and partitions: none missing, order kept per partition, no batch over max size")
  void deliversEverythingInOrderPerPartition() {
    String a = topic(kafka, "orders", 3);
    String b = topic(kafka, "invoices", 2);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(
          SubscriptionSpec.builder()
              .name("bulk")
              .webhookUrl(receiver.url().toString())
              .source(a)
              .source(b)
              .maxBatchSize(100)
              .maxBatchInterval(Duration.ofMillis(200))
              .build());
      kafka.produce(a, jsonMessages(a, 0, 3000));
      kafka.produce(b, jsonMessages(b, 0, 2000));

      receiver.awaitDeliveredCount(5000, Duration.ofSeconds(60));
    }
    Set<String> expected = new HashSet<>();
    kafka.endOffsets(a).forEach((tp, end) -> addIds(expected, tp, end));
    kafka.endOffsets(b).forEach((tp, end) -> addIds(expected, tp, end));
    assertThat(expected).hasSize(5000);
    assertThat(receiver.uniqueDeliveredIds()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(receiver.requests()).allSatisfy(r -> assertThat(r.messages()).hasSizeBetween(1, 100));
    assertOrderedPerPartition(receiver.deliveredMessages());
  }

  @Test
  @DisplayName("a partial batch is flushed when its oldest message has waited the batch interval")
  void flushesPartialBatchAtInterval() {
    String t = topic(kafka, "trickle", 1);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(
          SubscriptionSpec.builder()
              .name("partial")
              .webhookUrl(receiver.url().toString())
              .source(t)
              .maxBatchSize(1000)
              .maxBatchInterval(Duration.ofSeconds(1))
              .build());
      kafka.produce(t, jsonMessages(t, 0, 7));
      List<ReceivedRequest> reqs = receiver.awaitRequests(1, Duration.ofSeconds(30));
      assertThat(reqs.get(0).messages()).hasSize(7);
    }
  }

  @Test
  @DisplayName("filters: only matching messages are delivered; filtered ones are committed and not read again")
  void filtersAndCommitsFilteredMessages() {
    String t = topic(kafka, "filtered", 2);
    SubscriptionStore store = SubscriptionStore.inMemory();
    long expected = java.util.stream.IntStream.range(0, 1000).filter(i -> i % 2 == 0 && i % 200 > 100).count();
    Subscription s;
    try (Webhookd engine = engine(kafka).store(store).build()) {
      s =
          engine.subscribe(
              SubscriptionSpec.builder()
                  .name("big-eu")
                  .webhookUrl(receiver.url().toString())
                  .source(t, "value.amount > `100`", "value.region == 'eu'")
                  .maxBatchSize(50)
                  .maxBatchInterval(Duration.ofMillis(100))
                  .build());
      kafka.produce(t, jsonMessages(t, 0, 1000));
      // n even => eu; amount = n % 200
      receiver.awaitDeliveredCount((int) expected, Duration.ofSeconds(60));
      assertThat(receiver.deliveredMessages())
          .allSatisfy(m -> {
            assertThat(m.value().get("region").asText()).isEqualTo("eu");
            assertThat(m.value().get("amount").asInt()).isGreaterThan(100);
          });
      Map<TopicPartition, Long> end = kafka.endOffsets(t);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(kafka.committedOffsets(s.groupId())).isEqualTo(end));
    }
    // the same subscription on a new engine reads nothing again: only the new message arrives
    kafka.produce(t, List.of(new ProducerRecord<>(t, "k", "{\"amount\":150,\"region\":\"eu\",\"n\":-1}".getBytes(StandardCharsets.UTF_8))));
    try (Webhookd engine = engine(kafka).store(store).build()) {
      receiver.awaitDeliveredCount((int) expected + 1, Duration.ofSeconds(60));
      assertThat(engine.isRunning(s.id())).isTrue();
    }
    assertThat(receiver.duplicateCount()).isZero();
    assertThat(receiver.deliveredMessages()).filteredOn(m -> m.value().get("n").asInt() == -1).hasSize(1);
  }

  @Test
  @DisplayName("non-JSON, binary, empty and large records are delivered in the wire format without stalling")
  void deliversAnyPayload() {
    String t = topic(kafka, "mixed", 1);
    byte[] large = new byte[900_000];
    java.util.Arrays.fill(large, (byte) 'x');
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    records.add(new ProducerRecord<>(t, "json", "{\"a\":[1,2,{\"b\":null}]}".getBytes(StandardCharsets.UTF_8)));
    records.add(new ProducerRecord<>(t, "text", "hello, \"world\"\n".getBytes(StandardCharsets.UTF_8)));
    records.add(new ProducerRecord<>(t, "binary", new byte[] {0, (byte) 0xff, (byte) 0xfe, 1}));
    records.add(new ProducerRecord<>(t, "empty", new byte[0]));
    records.add(new ProducerRecord<>(t, null, "{not json".getBytes(StandardCharsets.UTF_8)));
    records.add(new ProducerRecord<>(t, "large", large));
    ProducerRecord<String, byte[]> withHeaders = new ProducerRecord<>(t, "h", "1".getBytes(StandardCharsets.UTF_8));
    withHeaders.headers().add("trace-id", "abc".getBytes(StandardCharsets.UTF_8));
    records.add(withHeaders);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(
          SubscriptionSpec.builder().name("any").webhookUrl(receiver.url().toString()).source(t)
              .maxBatchSize(10).maxBatchInterval(Duration.ofMillis(100)).build());
      kafka.produce(t, records);
      receiver.awaitDeliveredCount(records.size(), Duration.ofSeconds(60));
    }
    Map<String, ReceivedMessage> byKey = new HashMap<>();
    for (ReceivedMessage m : receiver.deliveredMessages()) {
      byKey.put(String.valueOf(m.key()), m);
    }
    assertThat(byKey.get("json").value().toString()).isEqualTo("{\"a\":[1,2,{\"b\":null}]}");
    assertThat(byKey.get("text").value().asText()).isEqualTo("hello, \"world\"\n");
    assertThat(byKey.get("binary").valueEncoding()).isEqualTo("base64");
    assertThat(byKey.get("binary").valueBytes()).containsExactly(0, 0xff, 0xfe, 1);
    assertThat(byKey.get("empty").value().isNull()).isTrue();
    assertThat(byKey.get("null").value().asText()).isEqualTo("{not json");
    assertThat(byKey.get("large").valueBytes()).hasSize(900_000);
    assertThat(byKey.get("h").headers()).containsEntry("trace-id", "abc");
    assertThat(byKey.get("h").value().asInt()).isEqualTo(1);
  }

  static void addIds(Set<String> ids, TopicPartition tp, long end) {
    for (long o = 0; o < end; o++) {
      ids.add(ReceivedMessage.id(tp.topic(), tp.partition(), o));
    }
  }

  /** Within each partition, the first delivery of every offset comes in increasing order. */
  static void assertOrderedPerPartition(List<ReceivedMessage> delivered) {
    Map<String, Long> last = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (ReceivedMessage m : delivered) {
      if (!seen.add(m.id())) {
        continue; // a re-delivery
      }
      String p = m.topic() + "/" + m.partition();
      Long prev = last.put(p, m.offset());
      if (prev != null) {
        assertThat(m.offset()).as("offset order in %s", p).isGreaterThan(prev);
      }
    }
  }
}
