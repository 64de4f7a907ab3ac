package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.server.TestServer.Answer;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.KafkaExtension;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deliveries through the running server: row filters, offline/online, status activity. */
class DeliveryTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  static KafkaCluster kafka;
  static TestServer server;
  WebhookReceiver receiver;

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
  }

  @AfterEach
  void closeReceiver() {
    receiver.close();
  }

  static String newTopic(String prefix) {
    String t = prefix + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(t, 1);
    return t;
  }

  static void produce(String topic, String... values) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (String v : values) {
      records.add(new ProducerRecord<>(topic, "k", v.getBytes(StandardCharsets.UTF_8)));
    }
    kafka.produce(topic, records);
  }

  static String create(String key, ObjectNode doc) {
    Answer a = server.post("/1/Subscription", key, doc);
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    return a.json().get("id").asText();
  }

  static List<Integer> amounts(List<ReceivedMessage> messages) {
    return messages.stream().map(m -> m.value().get("amount").asInt()).distinct().toList();
  }

  @Test
  @DisplayName("a client's row filter is applied to its deliveries even when its own filters pass the message")
  void rowFilterAppliesOnTopOfTheClientsFilters() {
    String topic = newTopic("orders-");
    WebhookReceiver adminReceiver = WebhookReceiver.start();
    try {
      create(RestApiTest.BILLING, Docs.subscription("billing big orders", receiver.url().toString(), topic, "value.amount > `100`"));
      create(ServerKeys.ADMIN, Docs.subscription("admin sees all", adminReceiver.url().toString(), topic));
      produce(
          topic,
          "{\"region\":\"us\",\"amount\":500}",
          "{\"region\":\"eu\",\"amount\":200}",
          "{\"region\":\"eu\",\"amount\":50}",
          "{\"region\":\"apac\",\"amount\":900}",
          "{\"region\":\"eu\",\"amount\":300}");
      // one partition, order kept: when the last eu message is in, every earlier one was decided
      List<ReceivedMessage> got = receiver.awaitDeliveredCount(2, WAIT);
      await().atMost(WAIT).until(() -> amounts(receiver.deliveredMessages()).contains(300));
      assertThat(amounts(receiver.deliveredMessages())).containsExactly(200, 300);
      assertThat(got).allSatisfy(m -> assertThat(m.value().get("region").asText()).isEqualTo("eu"));
      // the admin's subscription has no row filter: it gets all five
      adminReceiver.awaitDeliveredCount(5, WAIT);
      assertThat(amounts(adminReceiver.deliveredMessages())).containsExactly(500, 200, 50, 900, 300);
    } finally {
      adminReceiver.close();
    }
  }

  @Test
  @DisplayName("offline through the admin API stops deliveries and the status shows inactive and the message; online resumes")
  void offlineAndOnline() {
    String topic = newTopic("admin-");
    String id = create(ServerKeys.ADMIN, Docs.subscription("pausable", receiver.url().toString(), topic));
    produce(topic, "{\"amount\":1}");
    receiver.awaitDeliveredCount(1, WAIT);

    Answer off =
        server.post("/1/EventNotificationAdmin", ServerKeys.ADMIN, Map.of("status", "offline", "offline_message", "planned maintenance"));
    try {
      assertThat(off.status()).as(off.toString()).isEqualTo(200);
      assertThat(off.json().get("status").asText()).isEqualTo("offline");
      assertThat(off.json().get("offline_message").asText()).isEqualTo("planned maintenance");
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                JsonNode st = server.get("/1/Subscription/" + id + "/Status", ServerKeys.ADMIN).json();
                assertThat(st.get("status").asText()).isEqualTo("inactive");
                assertThat(st.get("recent_activity").toString()).contains("inactive").contains("planned maintenance");
              });
      JsonNode admin = server.get("/1/EventNotificationAdmin", ServerKeys.ADMIN).json();
      assertThat(admin.get("status").asText()).isEqualTo("offline");
      assertThat(admin.get("webhooks").toString()).contains(id).contains("inactive");

      produce(topic, "{\"amount\":2}");
      // while offline nothing more arrives
      await()
          .pollDelay(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> receiver.deliveredMessages().size() == 1);
    } finally {
      Answer on = server.post("/1/EventNotificationAdmin", ServerKeys.ADMIN, Map.of("status", "online"));
      assertThat(on.status()).as(on.toString()).isEqualTo(200);
      assertThat(on.json().get("status").asText()).isEqualTo("online");
    }
    receiver.awaitDeliveredCount(2, WAIT);
    assertThat(amounts(receiver.deliveredMessages())).containsExactly(1, 2);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(server.get("/1/Subscription/" + id + "/Status", ServerKeys.ADMIN).json().get("status").asText())
                .isEqualTo("healthy"));
  }

  @Test
  @DisplayName("status after failures and deliveries: api_call entries with response codes and masked secrets")
  void statusShowsApiCallsWithMaskedSecrets() {
    String topic = newTopic("orders-");
    receiver.failFirst(2, 503);
    ObjectNode doc = Docs.subscription("flaky receiver", receiver.url().toString() + "?token=url-secret-123", topic);
    ((ObjectNode) doc.get("configuration").get("retry")).put("max_retries", 5).put("initial_delay_ms", 100).put("max_delay_ms", 500);
    String id = create(RestApiTest.BILLING, doc);
    produce(topic, "{\"region\":\"eu\",\"amount\":7}");
    receiver.awaitDeliveredCount(1, WAIT);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Answer a = server.get("/1/Subscription/" + id + "/Status", RestApiTest.BILLING);
              assertThat(a.status()).isEqualTo(200);
              List<Integer> codes = new ArrayList<>();
              for (JsonNode e : a.json().get("recent_activity")) {
                if (e.get("event").asText().equals("api_call")) {
                  codes.add(e.get("response_code").asInt());
                  assertThat(e.get("request").asText()).startsWith("POST ");
                  assertThat(e.get("request_headers").toString()).contains("Authorization: ****");
                }
              }
              assertThat(codes).contains(503, 200);
              assertThat(a.body()).doesNotContain("receiver-secret").doesNotContain("url-secret-123");
              assertThat(a.json().get("status").asText()).isEqualTo("healthy");
            });
  }

  /** Requests as they arrived: the raw path with its query, and every header value in order. */
  record RawRequest(String uri, Map<String, List<String>> headers) {}

  /** A webhook endpoint that records the raw request line and headers (the test kit's keeps the path only). */
  static final class RawReceiver implements AutoCloseable {
    final com.sun.net.httpserver.HttpServer http;
    final List<RawRequest> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

    RawReceiver() throws java.io.IOException {
      http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
      http.createContext("/", exchange -> {
        exchange.getRequestBody().readAllBytes();
        Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
        requests.add(new RawRequest(exchange.getRequestURI().getRawPath() + "?" + exchange.getRequestURI().getRawQuery(), headers));
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
      });
      http.start();
    }

    String url(String pathAndQuery) {
      return "http://127.0.0.1:" + http.getAddress().getPort() + pathAndQuery;
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }

  /** What the operator page's Pause and Resume buttons do: GET, change "active", PUT with If-Match. */
  static void toggleLikeTheOperatorPage(String id, boolean activate) {
    String path = "/1/Subscription/" + id;
    Answer current = server.get(path, ServerKeys.ADMIN);
    assertThat(current.status()).isEqualTo(200);
    ObjectNode doc = (ObjectNode) current.json();
    doc.put("active", activate ? "yes" : "no");
    Answer put = server.call("PUT", path, ServerKeys.ADMIN, doc, "If-Match", current.header("ETag"));
    assertThat(put.status()).as(put.toString()).isEqualTo(200);
  }

  @Test
  @DisplayName("Pause then Resume as the operator page does them (GET, PUT of the masked document) keep every header value and the URL's secrets")
  void pauseAndResumeKeepEverySecret() throws Exception {
    String topic = newTopic("secrets-");
    try (RawReceiver raw = new RawReceiver()) {
      ObjectNode doc = Docs.subscription("secrets kept", raw.url("/hook/PATHSECRET?token=Q1&apikey=Q2"), topic);
      ((ObjectNode) doc.at("/destination/webhook")).putArray("headers")
          .add("X-Api-Key: FIRST").add("X-Api-Key: SECOND").add("Authorization: Bearer ONE").add("authorization: Basic TWO");
      String id = create(ServerKeys.ADMIN, doc);
      Answer shown = server.get("/1/Subscription/" + id, ServerKeys.ADMIN);
      assertThat(shown.body()).doesNotContain("FIRST", "SECOND", "ONE", "TWO", "Q1", "Q2");

      toggleLikeTheOperatorPage(id, false);
      toggleLikeTheOperatorPage(id, true);
      produce(topic, "{\"amount\":1}");

      await().atMost(WAIT).until(() -> !raw.requests.isEmpty());
      RawRequest r = raw.requests.get(0);
      assertThat(r.uri()).isEqualTo("/hook/PATHSECRET?token=Q1&apikey=Q2");
      assertThat(r.headers().get("X-Api-Key")).containsExactly("FIRST", "SECOND");
      assertThat(r.headers().get("Authorization")).containsExactly("Bearer ONE", "Basic TWO");
    }
  }
}
