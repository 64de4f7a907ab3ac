package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.WebhookBatch;
import io.webhookd.WebhookVerifier;
import io.webhookd.server.TestServer.Answer;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.KafkaExtension;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The day-2 operations of issue 15 through the running server on a real broker: dead letters
 * (list, redeliver, discard), skip, replay, test message, filter preview, with the callers'
 * policies. The server's store is its default one, the H2 file of the JDBC store, which keeps the
 * dead letters (NoDeadLettersTest covers a store that keeps none).
 */
class DayTwoTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  static KafkaCluster kafka;
  static TestServer server;
  WebhookReceiver receiver;
  /** While false the receiver answers 400 to every batch holding a message with "poison": true. */
  final AtomicBoolean fixed = new AtomicBoolean();

  @BeforeAll
  static void start() throws Exception {
    kafka = KafkaExtension.shared(1);
    server = TestServer.start(kafka, dir.resolve("data"), RestApiTest.clientsFile(dir));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void receiver() {
    receiver = WebhookReceiver.start();
    receiver.respondWith(
        (n, request) ->
            !fixed.get() && request.messages().stream().anyMatch(m -> m.value().path("poison").asBoolean())
                ? WebhookReceiver.Response.status(400).withBody("{\"error\":\"amount is not a number\"}")
                : WebhookReceiver.Response.ok());
  }

  @AfterEach
  void closeReceiver() {
    receiver.close();
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  static String newTopic(String prefix) {
    String t = prefix + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(t, 1);
    return t;
  }

  static void produce(String topic, String... values) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (String v : values) {
      ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, "k", v.getBytes(StandardCharsets.UTF_8));
      r.headers().add("trace-id", "t-1".getBytes(StandardCharsets.UTF_8));
      records.add(r);
    }
    kafka.produce(topic, records);
  }

  /** One message a batch, no retries, then {@code onExhausted}. */
  static ObjectNode doc(String name, String url, String topic, String onExhausted, String... filters) {
    ObjectNode doc = Docs.subscription(name, url, topic, filters);
    ((ObjectNode) doc.at("/configuration/batching")).put("max_batch_size", 1);
    ((ObjectNode) doc.at("/configuration/retry"))
        .put("max_retries", 0)
        .put("initial_delay_ms", 200)
        .put("max_delay_ms", 500)
        .put("on_exhausted", onExhausted);
    return doc;
  }

  static JsonNode create(String key, ObjectNode doc) {
    Answer a = server.post("/1/Subscription", key, doc);
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    return a.json();
  }

  static List<Integer> numbers(List<ReceivedMessage> messages) {
    return messages.stream().map(m -> m.value().path("n").asInt()).toList();
  }

  static JsonNode deadLetters(String id, String key, String query) {
    Answer a = server.get("/1/Subscription/" + id + "/DeadLetters" + query, key);
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    return a.json();
  }

  static JsonNode activity(String id, String key) {
    Answer a = server.get("/1/Subscription/" + id + "/Status", key);
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    return a.json().get("recent_activity");
  }

  static List<JsonNode> events(JsonNode activity, String type) {
    List<JsonNode> out = new ArrayList<>();
    activity.forEach(e -> {
      if (e.get("event").asText().equals(type)) {
        out.add(e);
      }
    });
    return out;
  }

  /** Waits until the subscription has {@code n} dead letters, and returns them. */
  static JsonNode awaitDeadLetters(String id, String key, int n) {
    await().atMost(WAIT).until(() -> deadLetters(id, key, "?limit=1000").get("dead_letters").size() == n);
    return deadLetters(id, key, "?limit=1000").get("dead_letters");
  }

  /** Waits until {@code n} messages were delivered, duplicates included (a replay delivers some again). */
  void awaitDeliveries(int n) {
    await().atMost(WAIT).until(() -> receiver.deliveredMessages().size() >= n);
  }

  // ---------------------------------------------------------------------------------------------
  // dead letters

  @Test
  @DisplayName("a poison message under on_exhausted dead_letter and max_retries 0: its neighbours are delivered, it is listed with its key, value and headers, and redelivered once the webhook is fixed")
  void poisonMessageDeadLetteredListedAndRedelivered() {
    String topic = newTopic("orders-");
    String id = create(RestApiTest.BILLING, doc("poison", receiver.url().toString(), topic, "dead_letter")).get("id").asText();
    produce(topic, "{\"region\":\"eu\",\"n\":1}", "{\"region\":\"eu\",\"n\":2,\"poison\":true}", "{\"region\":\"eu\",\"n\":3}");

    await().atMost(WAIT).until(() -> numbers(receiver.deliveredMessages()).contains(3));
    assertThat(numbers(receiver.deliveredMessages())).containsExactly(1, 3);

    JsonNode letters = awaitDeadLetters(id, RestApiTest.BILLING, 1);
    JsonNode d = letters.get(0);
    assertThat(d.get("id").asText()).isNotBlank();
    assertThat(d.get("topic").asText()).isEqualTo(topic);
    assertThat(d.get("partition").asInt()).isEqualTo(0);
    assertThat(d.get("offset").asLong()).isEqualTo(1);
    assertThat(Instant.parse(d.get("timestamp").asText())).isBefore(Instant.now().plusSeconds(1));
    assertThat(d.get("key").asText()).isEqualTo("k");
    assertThat(d.get("value").get("n").asInt()).isEqualTo(2);
    assertThat(d.get("value").get("poison").asBoolean()).isTrue();
    assertThat(d.get("headers").get("trace-id").asText()).isEqualTo("t-1");
    assertThat(d.get("status_code").asInt()).isEqualTo(400);
    assertThat(d.get("error").asText()).contains("400");
    assertThat(d.get("attempts").asInt()).isEqualTo(1);
    assertThat(d.get("reason").asText()).isEqualTo("retries_exhausted");
    assertThat(Instant.parse(d.get("dead_lettered_at").asText())).isNotNull();
    String batchId = d.get("batch_id").asText();
    assertThat(batchId).isNotBlank();
    assertThat(deadLetters(id, RestApiTest.BILLING, "").get("next").isNull()).isTrue();

    // the activity says so, with the batch id, beside the api_call that failed
    await().atMost(WAIT).untilAsserted(() -> {
      JsonNode activity = activity(id, RestApiTest.BILLING);
      assertThat(events(activity, "dead_lettered")).anySatisfy(e -> assertThat(e.get("batch_id").asText()).isEqualTo(batchId));
      assertThat(events(activity, "api_call")).anySatisfy(e -> {
        assertThat(e.get("batch_id").asText()).isEqualTo(batchId);
        assertThat(e.get("response_code").asInt()).isEqualTo(400);
      });
    });

    fixed.set(true);
    Answer redeliver = server.post("/1/Subscription/" + id + "/DeadLetters/Redeliver", RestApiTest.BILLING, Map.of());
    assertThat(redeliver.status()).as(redeliver.toString()).isEqualTo(202);
    assertThat(redeliver.json().get("redelivering").asInt()).isEqualTo(1);

    await().atMost(WAIT).until(() -> numbers(receiver.deliveredMessages()).contains(2));
    ReceivedMessage again = receiver.deliveredMessages().stream().filter(m -> m.value().path("n").asInt() == 2).findFirst().orElseThrow();
    assertThat(again.topic()).isEqualTo(topic);
    assertThat(again.offset()).isEqualTo(1);
    assertThat(again.key()).isEqualTo("k");
    awaitDeadLetters(id, RestApiTest.BILLING, 0);
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(events(activity(id, RestApiTest.BILLING), "redelivered")).anySatisfy(e ->
            assertThat(e.get("message").asText()).contains("1 of 1").contains("billing")));
  }

  @Test
  @DisplayName("dead letters: pages with limit and after, redeliver by ids, discard one (204, then 404), 400 for a bad limit, 404 for another client")
  void pagesRedeliverByIdsAndDiscard() {
    String topic = newTopic("orders-");
    String id = create(RestApiTest.BILLING, doc("pages", receiver.url().toString(), topic, "dead_letter")).get("id").asText();
    produce(topic,
        "{\"region\":\"eu\",\"n\":1,\"poison\":true}",
        "{\"region\":\"eu\",\"n\":2,\"poison\":true}",
        "{\"region\":\"eu\",\"n\":3,\"poison\":true}");
    JsonNode all = awaitDeadLetters(id, RestApiTest.BILLING, 3);

    JsonNode first = deadLetters(id, RestApiTest.BILLING, "?limit=2");
    assertThat(first.get("dead_letters")).hasSize(2);
    String next = first.get("next").asText();
    assertThat(next).isNotBlank();
    JsonNode second = deadLetters(id, RestApiTest.BILLING, "?limit=2&after=" + next);
    assertThat(second.get("dead_letters")).hasSize(1);
    assertThat(second.get("next").isNull()).isTrue();
    List<Long> offsets = new ArrayList<>();
    first.get("dead_letters").forEach(d -> offsets.add(d.get("offset").asLong()));
    second.get("dead_letters").forEach(d -> offsets.add(d.get("offset").asLong()));
    assertThat(offsets).containsExactly(0L, 1L, 2L);

    for (String bad : List.of("0", "1001", "ten", "-5")) {
      Answer a = server.get("/1/Subscription/" + id + "/DeadLetters?limit=" + bad, RestApiTest.BILLING);
      assertThat(a.status()).as(bad).isEqualTo(400);
      assertThat(RestApiTest.fields(a)).containsExactly("limit");
      assertThat(a.json().at("/details/0/message").asText()).contains(bad);
    }
    Answer badIds = server.post("/1/Subscription/" + id + "/DeadLetters/Redeliver", RestApiTest.BILLING,
        Map.of("ids", List.of("x", 7), "all", true));
    assertThat(badIds.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(badIds)).containsExactlyInAnyOrder("ids[1]", "all");
    Answer noIds = server.post("/1/Subscription/" + id + "/DeadLetters/Redeliver", RestApiTest.BILLING, Map.of("ids", List.of()));
    assertThat(noIds.status()).isEqualTo(400);
    assertThat(noIds.json().at("/details/0/message").asText()).contains("{}");

    // another client learns nothing: 404 as for an id that does not exist
    String path = "/1/Subscription/" + id + "/DeadLetters";
    String oneId = all.get(0).get("id").asText();
    for (Answer a : List.of(
        server.get(path, RestApiTest.SHIPPING),
        server.post(path + "/Redeliver", RestApiTest.SHIPPING, Map.of()),
        server.call("DELETE", path + "/" + oneId, RestApiTest.SHIPPING, null),
        server.post("/1/Subscription/" + id + "/Skip", RestApiTest.SHIPPING, Map.of("batch_id", "b")),
        server.post("/1/Subscription/" + id + "/Replay", RestApiTest.SHIPPING, Map.of("from", "earliest")),
        server.post("/1/Subscription/" + id + "/Test", RestApiTest.SHIPPING, Map.of()))) {
      assertThat(a.status()).as(a.toString()).isEqualTo(404);
      assertThat(a.json().get("error").asText()).startsWith("no subscription with id");
    }
    assertThat(awaitDeadLetters(id, RestApiTest.BILLING, 3)).hasSize(3);

    // discard the first: 204, then 404; the admin may too
    assertThat(server.call("DELETE", path + "/" + oneId, RestApiTest.BILLING, null).status()).isEqualTo(204);
    Answer gone = server.call("DELETE", path + "/" + oneId, ServerKeys.ADMIN, null);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.json().get("error").asText()).contains("no dead letter").contains(oneId);
    assertThat(awaitDeadLetters(id, RestApiTest.BILLING, 2)).noneMatch(d -> d.get("id").asText().equals(oneId));
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(events(activity(id, RestApiTest.BILLING), "discarded")).anySatisfy(e ->
            assertThat(e.get("message").asText()).contains(oneId).contains("billing")));

    // redeliver only the second: the third stays
    fixed.set(true);
    String secondId = all.get(1).get("id").asText();
    String thirdId = all.get(2).get("id").asText();
    Answer r = server.post(path + "/Redeliver", ServerKeys.ADMIN, Map.of("ids", List.of(secondId)));
    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    assertThat(r.json().get("redelivering").asInt()).isEqualTo(1);
    await().atMost(WAIT).until(() -> numbers(receiver.deliveredMessages()).contains(2));
    JsonNode left = awaitDeadLetters(id, RestApiTest.BILLING, 1);
    assertThat(left.get(0).get("id").asText()).isEqualTo(thirdId);
    assertThat(numbers(receiver.deliveredMessages())).doesNotContain(1, 3);
  }

  // ---------------------------------------------------------------------------------------------
  // skip

  @Test
  @DisplayName("skip of a failing batch under keep_retrying: 200, the next messages are delivered, the batch is in the dead letters; 409 then and for an unknown batch; 400 without batch_id")
  void skipsAFailingBatch() {
    String topic = newTopic("orders-");
    String id = create(RestApiTest.BILLING, doc("stuck", receiver.url().toString(), topic, "keep_retrying")).get("id").asText();
    produce(topic, "{\"region\":\"eu\",\"n\":1,\"poison\":true}", "{\"region\":\"eu\",\"n\":2}");

    // the failing batch's id, as an operator reads it in the Status
    String[] batch = new String[1];
    await().atMost(WAIT).untilAsserted(() -> {
      List<JsonNode> failed = events(activity(id, RestApiTest.BILLING), "api_call").stream()
          .filter(e -> e.get("response_code").asInt() == 400).toList();
      assertThat(failed).isNotEmpty();
      batch[0] = failed.get(0).get("batch_id").asText();
    });
    assertThat(receiver.deliveredMessages()).isEmpty();

    Answer missing = server.post("/1/Subscription/" + id + "/Skip", RestApiTest.BILLING, Map.of());
    assertThat(missing.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(missing)).containsExactly("batch_id");
    Answer wrongType = server.post("/1/Subscription/" + id + "/Skip", RestApiTest.BILLING, Map.of("batch_id", 5));
    assertThat(wrongType.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(wrongType)).containsExactly("batch_id");
    Answer unknown = server.post("/1/Subscription/" + id + "/Skip", RestApiTest.BILLING, Map.of("batch_id", "no-such-batch"));
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(409);
    assertThat(unknown.json().get("error").asText()).contains("not failing");

    Answer skip = server.post("/1/Subscription/" + id + "/Skip", RestApiTest.BILLING, Map.of("batch_id", batch[0]));
    assertThat(skip.status()).as(skip.toString()).isEqualTo(200);
    assertThat(skip.json().get("skipped").asText()).isEqualTo(batch[0]);

    receiver.awaitDeliveredCount(1, WAIT);
    assertThat(numbers(receiver.deliveredMessages())).containsExactly(2);
    JsonNode letters = awaitDeadLetters(id, RestApiTest.BILLING, 1);
    assertThat(letters.get(0).get("batch_id").asText()).isEqualTo(batch[0]);
    assertThat(letters.get(0).get("reason").asText()).isEqualTo("skipped");
    assertThat(letters.get(0).get("value").get("n").asInt()).isEqualTo(1);
    await().atMost(WAIT).untilAsserted(() ->
        // the library records a skip as a dead_lettered event saying who skipped it
        assertThat(events(activity(id, RestApiTest.BILLING), "dead_lettered")).anySatisfy(e -> {
          assertThat(e.get("batch_id").asText()).isEqualTo(batch[0]);
          assertThat(e.get("message").asText()).contains("skipped by billing");
        }));

    Answer twice = server.post("/1/Subscription/" + id + "/Skip", RestApiTest.BILLING, Map.of("batch_id", batch[0]));
    assertThat(twice.status()).isEqualTo(409);
  }

  // ---------------------------------------------------------------------------------------------
  // replay

  @Test
  @DisplayName("replay by timestamp delivers again what came at or after it, and nothing before; then by offsets and from latest")
  void replaysByTimestampOffsetsAndLatest() {
    String topic = newTopic("replay-");
    String id = create(ServerKeys.ADMIN, doc("replayed", receiver.url().toString(), topic, "keep_retrying")).get("id").asText();
    produce(topic, "{\"n\":1}", "{\"n\":2}");
    receiver.awaitDeliveredCount(2, WAIT);
    Instant between = Instant.now();
    await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().toEpochMilli() > between.toEpochMilli());
    produce(topic, "{\"n\":3}", "{\"n\":4}");
    receiver.awaitDeliveredCount(4, WAIT);

    Answer a = server.post("/1/Subscription/" + id + "/Replay", ServerKeys.ADMIN,
        Map.of("from", Map.of("timestamp", between.toString())));
    assertThat(a.status()).as(a.toString()).isEqualTo(202);
    JsonNode positions = a.json().get("positions");
    assertThat(positions).hasSize(1);
    assertThat(positions.get(0).get("topic").asText()).isEqualTo(topic);
    assertThat(positions.get(0).get("partition").asInt()).isEqualTo(0);
    assertThat(positions.get(0).get("offset").asLong()).isEqualTo(2);

    awaitDeliveries(6);
    await().pollDelay(Duration.ofSeconds(2)).atMost(WAIT).until(() -> receiver.deliveredMessages().size() == 6);
    assertThat(numbers(receiver.deliveredMessages())).containsExactly(1, 2, 3, 4, 3, 4);
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(events(activity(id, ServerKeys.ADMIN), "replayed")).anySatisfy(e ->
            assertThat(e.get("message").asText()).contains(between.toString()).contains("admin")));

    Answer byOffsets = server.post("/1/Subscription/" + id + "/Replay", ServerKeys.ADMIN,
        Map.of("from", Map.of("offsets", List.of(Map.of("topic", topic, "partition", 0, "offset", 3)))));
    assertThat(byOffsets.status()).as(byOffsets.toString()).isEqualTo(202);
    assertThat(byOffsets.json().at("/positions/0/offset").asLong()).isEqualTo(3);
    awaitDeliveries(7);
    assertThat(numbers(receiver.deliveredMessages()).get(6)).isEqualTo(4);

    Answer latest = server.post("/1/Subscription/" + id + "/Replay", ServerKeys.ADMIN, Map.of("from", "latest"));
    assertThat(latest.status()).as(latest.toString()).isEqualTo(202);
    assertThat(latest.json().at("/positions/0/offset").asLong()).isEqualTo(4);
    produce(topic, "{\"n\":5}");
    awaitDeliveries(8);
    assertThat(numbers(receiver.deliveredMessages()).get(7)).isEqualTo(5);
  }

  @Test
  @DisplayName("replay: 400 listing every problem of a bad body, and for offsets of a topic the subscription does not read")
  void replayRefusesBadBodies() {
    String topic = newTopic("replay-");
    String id = create(ServerKeys.ADMIN, doc("bad replays", receiver.url().toString(), topic, "keep_retrying")).get("id").asText();
    String path = "/1/Subscription/" + id + "/Replay";

    Answer noFrom = server.post(path, ServerKeys.ADMIN, Map.of());
    assertThat(noFrom.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(noFrom)).containsExactly("from");
    Answer word = server.post(path, ServerKeys.ADMIN, Map.of("from", "yesterday", "extra", 1));
    assertThat(word.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(word)).containsExactlyInAnyOrder("from", "extra");
    assertThat(word.json().toString()).contains("yesterday");
    Answer time = server.post(path, ServerKeys.ADMIN, Map.of("from", Map.of("timestamp", "noon")));
    assertThat(time.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(time)).containsExactly("from.timestamp");
    Answer offsets = server.post(path, ServerKeys.ADMIN, Map.of("from", Map.of("offsets",
        List.of(Map.of("topic", topic, "partition", "0", "offset", -1, "when", "now")))));
    assertThat(offsets.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(offsets)).containsExactlyInAnyOrder(
        "from.offsets[0].partition", "from.offsets[0].offset", "from.offsets[0].when");
    Answer both = server.post(path, ServerKeys.ADMIN, Map.of("from", Map.of("timestamp", "2026-11-29T10:00:00Z", "offsets", List.of())));
    assertThat(both.status()).isEqualTo(400);
    Answer notJson = server.post(path, ServerKeys.ADMIN, "{\"from\": ");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(notJson)).containsExactly("$");

    Answer foreign = server.post(path, ServerKeys.ADMIN, Map.of("from", Map.of("offsets",
        List.of(Map.of("topic", "someone-elses", "partition", 0, "offset", 0)))));
    assertThat(foreign.status()).as(foreign.toString()).isEqualTo(400);
    assertThat(RestApiTest.fields(foreign)).containsExactly("from.offsets[0].topic");
  }

  // ---------------------------------------------------------------------------------------------
  // test message

  @Test
  @DisplayName("POST …/Test: one signed batch with a message of topic webhookd.test reaches the webhook; 200 with its status; nothing committed; a test event in the activity")
  void sendsASignedTestMessage() {
    String topic = newTopic("orders-");
    JsonNode created = create(RestApiTest.BILLING, doc("tested", receiver.url().toString() + "?token=url-secret-77", topic, "keep_retrying"));
    String id = created.get("id").asText();
    String secret = created.at("/destination/webhook/signing_secret").asText();

    Answer a = server.post("/1/Subscription/" + id + "/Test", RestApiTest.BILLING, Map.of());
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    assertThat(a.json().get("status_code").asInt()).isEqualTo(200);
    assertThat(a.json().get("duration_ms").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(a.json().get("error").isNull()).isTrue();
    assertThat(a.json().has("response_body")).isTrue();
    assertThat(a.body()).doesNotContain("url-secret-77");

    List<ReceivedRequest> requests = receiver.awaitRequests(1, WAIT);
    ReceivedRequest r = requests.get(0);
    WebhookBatch batch = WebhookVerifier.of(secret).verify(r.headers(), r.body());
    assertThat(batch.subscriptionId()).isEqualTo(id);
    assertThat(batch.messages()).hasSize(1);
    assertThat(batch.messages().get(0).topic()).isEqualTo("webhookd.test");
    assertThat(batch.messages().get(0).value()).contains("test");
    assertThat(r.header("Authorization")).hasValue("Bearer receiver-secret");

    await().atMost(WAIT).untilAsserted(() -> {
      List<JsonNode> tests = events(activity(id, RestApiTest.BILLING), "test");
      assertThat(tests).anySatisfy(e -> {
        assertThat(e.get("response_code").asInt()).isEqualTo(200);
        assertThat(e.get("batch_id").asText()).isEqualTo(batch.batchId());
      });
    });
    assertThat(server.get("/1/Subscription/" + id + "/Status", RestApiTest.BILLING).body()).doesNotContain("url-secret-77");

    // a refusal is reported, not thrown
    receiver.alwaysRespond(503);
    Answer refused = server.post("/1/Subscription/" + id + "/Test", RestApiTest.BILLING, Map.of());
    assertThat(refused.status()).isEqualTo(200);
    assertThat(refused.json().get("status_code").asInt()).isEqualTo(503);
    assertThat(refused.json().get("error").asText()).contains("503");
  }

  // ---------------------------------------------------------------------------------------------
  // filter preview

  @Test
  @DisplayName("filter preview: a client sees only what its row filter lets through, the admin all; a foreign topic is 403; a bad filter is an error in the preview, a never-matching one a warning")
  void previewsUnderTheCallersPolicy() {
    String topic = newTopic("orders-");
    produce(topic,
        "{\"region\":\"eu\",\"amount\":500}",
        "{\"region\":\"us\",\"amount\":900}",
        "{\"region\":\"eu\",\"amount\":50}",
        "{\"region\":\"eu\",\"amount\":150}");
    Map<String, Object> body = Map.of("source", List.of(Map.of("topic", topic, "jmes_filters", List.of("value.amount > `100`"))), "limit", 200);

    Answer billing = server.post("/1/FilterPreview", RestApiTest.BILLING, body);
    assertThat(billing.status()).as(billing.toString()).isEqualTo(200);
    JsonNode s = billing.json().at("/sources/0");
    assertThat(s.get("topic").asText()).isEqualTo(topic);
    assertThat(s.get("examined").asInt()).isEqualTo(4);
    assertThat(s.get("matched").asInt()).isEqualTo(2);
    assertThat(s.get("samples")).hasSize(2).allSatisfy(m -> {
      assertThat(m.at("/value/region").asText()).isEqualTo("eu");
      assertThat(m.get("topic").asText()).isEqualTo(topic);
      assertThat(m.get("key").asText()).isEqualTo("k");
    });
    assertThat(s.get("errors")).isEmpty();
    assertThat(s.get("warnings")).isEmpty();

    Answer admin = server.post("/1/FilterPreview", ServerKeys.ADMIN, body);
    assertThat(admin.status()).isEqualTo(200);
    assertThat(admin.json().at("/sources/0/matched").asInt()).isEqualTo(3);

    Answer foreign = server.post("/1/FilterPreview", RestApiTest.SHIPPING, body);
    assertThat(foreign.status()).isEqualTo(403);
    assertThat(foreign.json().get("error").asText()).contains(topic);
    assertThat(RestApiTest.fields(foreign)).containsExactly("source[0].topic");

    Answer wrong = server.post("/1/FilterPreview", ServerKeys.ADMIN,
        Map.of("source", List.of(Map.of("topic", topic, "jmes_filters", List.of("value.amount >")),
            Map.of("topic", topic, "jmes_filters", List.of("amount > `100`")))));
    assertThat(wrong.status()).as(wrong.toString()).isEqualTo(200);
    assertThat(wrong.json().at("/sources/0/errors/0").asText()).contains("value.amount >");
    assertThat(wrong.json().at("/sources/1/warnings/0").asText()).contains("did you mean value.amount");
    assertThat(wrong.json().at("/sources/1/matched").asInt()).isEqualTo(0);

    Answer bad = server.post("/1/FilterPreview", ServerKeys.ADMIN,
        Map.of("source", List.of(Map.of("topic", "no spaces", "jmes_filters", "x")), "limit", 0, "extra", true));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(RestApiTest.fields(bad)).containsExactlyInAnyOrder("source[0].topic", "source[0].jmes_filters", "limit", "extra");
  }
}
