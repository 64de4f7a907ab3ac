package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.server.TestServer.Answer;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.KafkaExtension;
import io.webhookd.testkit.WebhookReceiver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every endpoint and error code of DESIGN.md's table, over real HTTP against a running server. */
class RestApiTest {
  static final String BILLING = "billing-key-0123456789";
  static final String SHIPPING = "shipping-key-0123456789";
  /** A client with a quota of 2 subscriptions. */
  static final String TINY = "tiny-key-0123456789";
  /** A client with a quota of 3 subscriptions, for concurrent creates. */
  static final String CROWD = "crowd-key-0123456789";

  @TempDir static Path dir;
  static KafkaCluster kafka;
  static TestServer server;
  static WebhookReceiver receiver;
  static String hook;

  @BeforeAll
  static void start() throws IOException {
    kafka = KafkaExtension.shared(1);
    receiver = WebhookReceiver.start();
    hook = receiver.url().toString();
    server = TestServer.start(kafka, dir.resolve("data"), clientsFile(dir));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  static Path clientsFile(Path dir) throws IOException {
    Path f = dir.resolve("clients.json");
    Files.writeString(
        f,
        """
        {"clients": [
          {"name": "billing", "api_key": "%s",
           "policy": {"topics": [{"topic": "orders-*", "filter": "value.region == 'eu'"}, {"topic": "invoices.*"}]}},
          {"name": "shipping", "api_key": "%s",
           "policy": {"topics": [{"topic": "shipments-*"}]}},
          {"name": "tiny", "api_key": "%s", "max_subscriptions": 2,
           "policy": {"topics": [{"topic": "tiny-*"}]}},
          {"name": "crowd", "api_key": "%s", "max_subscriptions": 3,
           "policy": {"topics": [{"topic": "crowd-*"}]}}
        ]}
        """
            .formatted(BILLING, SHIPPING, TINY, CROWD));
    return f;
  }

  static String topic(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  static JsonNode create(String key, ObjectNode doc) {
    Answer a = server.post("/1/Subscription", key, doc);
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    return a.json();
  }

  @Test
  @DisplayName("POST 1/Subscription: 201, Location, id, kind Webhook, the seed's fields, the signing secret in full only then")
  void createsSubscription() {
    Answer a = server.post("/1/Subscription", BILLING, Docs.subscription("orders to billing", hook, topic("orders-")));
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    JsonNode s = a.json();
    String id = s.get("id").asText();
    assertThat(UUID.fromString(id).toString()).isEqualTo(id);
    assertThat(s.get("kind").asText()).isEqualTo("Webhook");
    assertThat(a.header("Location")).isEqualTo("/1/Subscription/" + id);
    assertThat(a.header("ETag")).isEqualTo("\"1\"");
    assertThat(s.get("name").asText()).isEqualTo("orders to billing");
    assertThat(s.get("active").asText()).isEqualTo("yes");
    assertThat(s.at("/destination/kind").asText()).isEqualTo("webhook");
    assertThat(s.at("/destination/webhook/url").asText()).isEqualTo(hook);
    assertThat(s.at("/destination/webhook/headers").toString())
        .contains("Authorization: ****")
        .contains("X-Team: ****")
        .doesNotContain("receiver-secret")
        .doesNotContain("billing\"");
    String secret = s.at("/destination/webhook/signing_secret").asText();
    assertThat(secret).startsWith("whsec_").hasSizeGreaterThan(20);
    assertThat(s.at("/source/0/jmes_filters").isArray()).isTrue();
    assertThat(s.at("/configuration/batching/max_batch_size").asInt()).isEqualTo(10);
    assertThat(s.at("/configuration/retry/retry_algorithm").asText()).isEqualTo("fixed_time");

    Answer again = server.get("/1/Subscription/" + id, BILLING);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().at("/destination/webhook/signing_secret").asText()).isEqualTo("whsec_****");
    assertThat(again.body()).doesNotContain(secret.substring(6)).doesNotContain("receiver-secret");
  }

  @Test
  @DisplayName("GET, PUT (with and without If-Match), DELETE of one subscription")
  void readsReplacesAndDeletes() {
    JsonNode s = create(ServerKeys.ADMIN, Docs.subscription("admin's", hook, topic("anything-")));
    String id = s.get("id").asText();
    String path = "/1/Subscription/" + id;

    ObjectNode changed = (ObjectNode) server.get(path, ServerKeys.ADMIN).json();
    changed.put("name", "renamed");
    Answer put = server.call("PUT", path, ServerKeys.ADMIN, changed, "If-Match", "\"1\"");
    assertThat(put.status()).as(put.toString()).isEqualTo(200);
    assertThat(put.json().get("name").asText()).isEqualTo("renamed");
    assertThat(put.json().get("version").asLong()).isEqualTo(2);
    assertThat(put.header("ETag")).isEqualTo("\"2\"");
    // masked secrets sent back as read keep their values
    assertThat(put.json().at("/destination/webhook/headers").toString()).contains("Authorization: ****");

    Answer stale = server.call("PUT", path, ServerKeys.ADMIN, changed, "If-Match", "\"1\"");
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json().get("error").asText()).contains("version");
    assertThat(stale.header("ETag")).isEqualTo("\"2\"");

    Answer badIfMatch = server.call("PUT", path, ServerKeys.ADMIN, changed, "If-Match", "yesterday");
    assertThat(badIfMatch.status()).isEqualTo(400);
    assertThat(badIfMatch.json().at("/details/0/field").asText()).isEqualTo("If-Match");

    changed.put("name", "last writer wins");
    Answer blind = server.call("PUT", path, ServerKeys.ADMIN, changed);
    assertThat(blind.status()).isEqualTo(200);
    assertThat(blind.json().get("version").asLong()).isEqualTo(3);

    Answer invalid = server.call("PUT", path, ServerKeys.ADMIN, Map.of("name", ""));
    assertThat(invalid.status()).isEqualTo(400);

    assertThat(server.call("DELETE", path, ServerKeys.ADMIN, null).status()).isEqualTo(204);
    assertThat(server.get(path, ServerKeys.ADMIN).status()).isEqualTo(404);
    assertThat(server.call("DELETE", path, ServerKeys.ADMIN, null).status()).isEqualTo(404);
    assertThat(server.call("PUT", path, ServerKeys.ADMIN, changed).status()).isEqualTo(404);
    assertThat(server.get(path + "/Status", ServerKeys.ADMIN).status()).isEqualTo(404);
  }

  @Test
  @DisplayName("GET 1/Subscription/{id}/Status: the seed's WebhookStatus")
  void statusHasTheSeedShape() {
    JsonNode s = create(BILLING, Docs.subscription("status shape", hook, topic("orders-")));
    Answer a = server.get("/1/Subscription/" + s.get("id").asText() + "/Status", BILLING);
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    JsonNode st = a.json();
    assertThat(st.get("id").asText()).isEqualTo(s.get("id").asText());
    assertThat(st.get("kind").asText()).isEqualTo("WebhookStatus");
    assertThat(st.get("name").asText()).isEqualTo("status shape");
    assertThat(st.get("active").asText()).isEqualTo("yes");
    assertThat(st.get("payload_url").asText()).isEqualTo(hook);
    assertThat(st.get("timestamp").asText()).isNotBlank();
    assertThat(st.get("status").asText()).isIn("healthy", "unhealthy", "inactive");
    assertThat(st.get("recent_activity").isArray()).isTrue();
    assertThat(st.get("engines").isArray()).isTrue();
  }

  @Test
  @DisplayName("GET 1/Engines: the admin sees this engine with its host and subscription count; the status names it; a client gets 403")
  void listsEngines() {
    JsonNode s = create(BILLING, Docs.subscription("engines", hook, topic("orders-")));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Answer a = server.get("/1/Engines", ServerKeys.ADMIN);
      assertThat(a.status()).as(a.toString()).isEqualTo(200);
      assertThat(a.json().isArray()).isTrue();
      assertThat(a.json()).hasSize(1);
      JsonNode e = a.json().get(0);
      assertThat(e.get("id").asText()).isNotBlank();
      assertThat(e.get("host").asText()).isNotBlank();
      assertThat(java.time.Instant.parse(e.get("started_at").asText())).isBeforeOrEqualTo(java.time.Instant.parse(e.get("last_seen").asText()));
      assertThat(e.get("subscriptions").asInt()).isPositive();
      JsonNode st = server.get("/1/Subscription/" + s.get("id").asText() + "/Status", BILLING).json();
      assertThat(st.get("engines")).hasSize(1);
      assertThat(st.get("engines").get(0).asText()).isEqualTo(e.get("id").asText());
    });
    assertThat(server.get("/1/Engines", BILLING).status()).isEqualTo(403);
    assertThat(server.get("/1/Engines", null).status()).isEqualTo(401);
  }

  @Test
  @DisplayName("GET 1/Subscription: a client sees its own, the admin sees all")
  void listsByCaller() {
    String b = create(BILLING, Docs.subscription("b-list", hook, topic("orders-"))).get("id").asText();
    String sh = create(SHIPPING, Docs.subscription("s-list", hook, topic("shipments-"))).get("id").asText();
    List<String> billing = ids(server.get("/1/Subscription", BILLING));
    List<String> shipping = ids(server.get("/1/Subscription", SHIPPING));
    List<String> admin = ids(server.get("/1/Subscription", ServerKeys.ADMIN));
    assertThat(billing).contains(b).doesNotContain(sh);
    assertThat(shipping).contains(sh).doesNotContain(b);
    assertThat(admin).contains(b, sh);
  }

  @Test
  @DisplayName("two clients: neither can read, change, delete or see the status of the other's subscription")
  void clientsAreIsolated() {
    String b = create(BILLING, Docs.subscription("b-iso", hook, topic("orders-"))).get("id").asText();
    String sh = create(SHIPPING, Docs.subscription("s-iso", hook, topic("shipments-"))).get("id").asText();
    for (String[] pair : new String[][] {{BILLING, sh}, {SHIPPING, b}}) {
      String key = pair[0];
      String path = "/1/Subscription/" + pair[1];
      Answer get = server.get(path, key);
      Answer status = server.get(path + "/Status", key);
      Answer put = server.call("PUT", path, key, Docs.subscription("stolen", hook, "shipments-x"));
      Answer delete = server.call("DELETE", path, key, null);
      Answer unknown = server.get("/1/Subscription/" + UUID.randomUUID(), key);
      for (Answer a : List.of(get, status, put, delete)) {
        assertThat(a.status()).as(a.toString()).isEqualTo(404);
        // the same answer as for an id that does not exist: nothing is learnt
        assertThat(a.json().get("error").asText()).startsWith("no subscription with id");
      }
      assertThat(unknown.status()).isEqualTo(404);
    }
    // both still exist, unchanged
    assertThat(server.get("/1/Subscription/" + b, BILLING).json().get("name").asText()).isEqualTo("b-iso");
    assertThat(server.get("/1/Subscription/" + sh, SHIPPING).json().get("name").asText()).isEqualTo("s-iso");
    // and a client cannot move its own subscription to the other's topics
    Answer steal = server.call("PUT", "/1/Subscription/" + b, BILLING, Docs.subscription("b-iso", hook, "shipments-abc"));
    assertThat(steal.status()).isEqualTo(403);
    assertThat(steal.json().get("error").asText()).contains("shipments-abc");
  }

  @Test
  @DisplayName("403 naming the topic when the client's policy does not allow it")
  void forbiddenTopic() {
    Answer a = server.post("/1/Subscription", SHIPPING, Docs.subscription("x", hook, "orders-secret"));
    assertThat(a.status()).isEqualTo(403);
    assertThat(a.json().get("error").asText()).contains("orders-secret");
    assertThat(a.json().at("/details/0/field").asText()).isEqualTo("source[0].topic");
    assertThat(ids(server.get("/1/Subscription", ServerKeys.ADMIN)).size()).isGreaterThanOrEqualTo(0);
  }

  @Test
  @DisplayName("401 with WWW-Authenticate: Bearer for a missing, malformed or unknown key, on every /1/ endpoint")
  void unauthenticated() {
    String id = UUID.randomUUID().toString();
    List<String[]> endpoints =
        List.of(
            new String[] {"POST", "/1/Subscription"},
            new String[] {"GET", "/1/Subscription"},
            new String[] {"GET", "/1/Subscription/" + id},
            new String[] {"PUT", "/1/Subscription/" + id},
            new String[] {"DELETE", "/1/Subscription/" + id},
            new String[] {"GET", "/1/Subscription/" + id + "/Status"},
            new String[] {"GET", "/1/Subscription/" + id + "/DeadLetters"},
            new String[] {"POST", "/1/Subscription/" + id + "/DeadLetters/Redeliver"},
            new String[] {"DELETE", "/1/Subscription/" + id + "/DeadLetters/" + id},
            new String[] {"POST", "/1/Subscription/" + id + "/Skip"},
            new String[] {"POST", "/1/Subscription/" + id + "/Replay"},
            new String[] {"POST", "/1/Subscription/" + id + "/Test"},
            new String[] {"POST", "/1/FilterPreview"},
            new String[] {"POST", "/1/EventNotificationAdmin"},
            new String[] {"GET", "/1/EventNotificationAdmin"});
    for (String[] e : endpoints) {
      Object body = e[0].equals("GET") || e[0].equals("DELETE") ? null : Map.of("status", "offline");
      for (String key : new String[] {null, "wrong-key-0123456789", ServerKeys.ADMIN + "x"}) {
        Answer a = server.call(e[0], e[1], key, body);
        assertThat(a.status()).as(e[0] + " " + e[1] + " with " + key).isEqualTo(401);
        assertThat(a.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(a.json().get("error").asText()).isNotBlank();
      }
      Answer basic = server.call(e[0], e[1], null, body, "Authorization", "Basic YWRtaW46YWRtaW4=");
      assertThat(basic.status()).isEqualTo(401);
    }
    assertThat(server.get("/1/EventNotificationAdmin", ServerKeys.ADMIN).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("every method on /1/... needs a key: HEAD, OPTIONS and methods no route has answer 401 without one")
  void everyMethodNeedsAKey() {
    String id = create(ServerKeys.ADMIN, Docs.subscription("head", hook, topic("head-"))).get("id").asText();
    for (String path : List.of("/1/Subscription", "/1/Subscription/" + id, "/1/Subscription/" + id + "/Status",
        "/1/EventNotificationAdmin", "/1/Nothing")) {
      for (String method : List.of("HEAD", "OPTIONS", "PATCH", "GET")) {
        Answer a = server.call(method, path, null, null);
        assertThat(a.status()).as(method + " " + path).isEqualTo(401);
        assertThat(a.header("WWW-Authenticate")).as(method + " " + path).startsWith("Bearer");
      }
    }
    // with the key, HEAD is what GET is without a body
    assertThat(server.call("HEAD", "/1/Subscription/" + id, ServerKeys.ADMIN, null).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a client may own max_subscriptions subscriptions; one more is a 403 naming the quota")
  void quotaOfSubscriptions() {
    String first = create(TINY, Docs.subscription("t1", hook, topic("tiny-"))).get("id").asText();
    create(TINY, Docs.subscription("t2", hook, topic("tiny-")));
    // the admin's and other clients' subscriptions do not count
    create(ServerKeys.ADMIN, Docs.subscription("a", hook, topic("tiny-")));

    Answer third = server.post("/1/Subscription", TINY, Docs.subscription("t3", hook, topic("tiny-")));
    assertThat(third.status()).as(third.toString()).isEqualTo(403);
    assertThat(third.json().get("error").asText()).contains("quota of 2 subscriptions").contains("max_subscriptions");
    assertThat(third.json().at("/details/0/field").asText()).isEqualTo("max_subscriptions");
    assertThat(ids(server.get("/1/Subscription", TINY))).hasSize(2);

    assertThat(server.call("DELETE", "/1/Subscription/" + first, TINY, null).status()).isEqualTo(204);
    assertThat(server.post("/1/Subscription", TINY, Docs.subscription("t3", hook, topic("tiny-"))).status()).isEqualTo(201);
  }

  @Test
  @DisplayName("concurrent creates of one client never pass its quota")
  void quotaHoldsUnderConcurrentCreates() throws Exception {
    int attempts = 8;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(attempts);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < attempts; i++) {
        ObjectNode doc = Docs.subscription("c" + i, hook, topic("crowd-"));
        answers.add(pool.submit(() -> {
          go.await();
          return server.post("/1/Subscription", CROWD, doc).status();
        }));
      }
      go.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (var f : answers) {
        statuses.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
      }
      assertThat(statuses).filteredOn(st -> st == 201).hasSize(3);
      assertThat(statuses).filteredOn(st -> st == 403).hasSize(attempts - 3);
      assertThat(ids(server.get("/1/Subscription", CROWD))).hasSize(3);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("EventNotificationAdmin: the admin reads and sets WebhookAdmin; a client gets 403")
  void adminEndpoints() {
    assertThat(server.get("/1/EventNotificationAdmin", BILLING).status()).isEqualTo(403);
    assertThat(server.post("/1/EventNotificationAdmin", SHIPPING, Map.of("status", "offline")).status())
        .isEqualTo(403);
    JsonNode admin = server.get("/1/EventNotificationAdmin", ServerKeys.ADMIN).json();
    assertThat(admin.get("kind").asText()).isEqualTo("WebhookAdmin");
    assertThat(UUID.fromString(admin.get("id").asText())).isNotNull();
    assertThat(admin.get("status").asText()).isEqualTo("online");
    assertThat(admin.get("webhooks").isArray()).isTrue();

    Answer bad = server.post("/1/EventNotificationAdmin", ServerKeys.ADMIN, Map.of("status", "sideways", "extra", 1));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(fields(bad)).contains("status", "extra");
    // a 400 changed nothing
    assertThat(server.get("/1/EventNotificationAdmin", ServerKeys.ADMIN).json().get("status").asText())
        .isEqualTo("online");
  }

  @Test
  @DisplayName("configuration.ordering and max_in_flight: partition and 16 when absent; set, read back and replaced; bad values are a 400 naming both")
  void orderingAndMaxInFlight() {
    JsonNode plain = create(ServerKeys.ADMIN, Docs.subscription("default order", hook, topic("anything-")));
    assertThat(plain.at("/configuration/ordering").asText()).isEqualTo("partition");
    assertThat(plain.at("/configuration/max_in_flight").asInt()).isEqualTo(16);

    ObjectNode doc = Docs.subscription("by key", hook, topic("anything-"));
    ((ObjectNode) doc.get("configuration")).put("ordering", "key").put("max_in_flight", 32);
    String id = create(ServerKeys.ADMIN, doc).get("id").asText();
    String path = "/1/Subscription/" + id;
    JsonNode read = server.get(path, ServerKeys.ADMIN).json();
    assertThat(read.at("/configuration/ordering").asText()).isEqualTo("key");
    assertThat(read.at("/configuration/max_in_flight").asInt()).isEqualTo(32);

    ObjectNode changed = (ObjectNode) read;
    ((ObjectNode) changed.get("configuration")).put("ordering", "none").put("max_in_flight", 1);
    Answer put = server.call("PUT", path, ServerKeys.ADMIN, changed);
    assertThat(put.status()).as(put.toString()).isEqualTo(200);
    assertThat(server.get(path, ServerKeys.ADMIN).json().at("/configuration/ordering").asText()).isEqualTo("none");

    ObjectNode bad = Docs.subscription("bad order", hook, topic("anything-"));
    ((ObjectNode) bad.get("configuration")).put("ordering", "by-customer").put("max_in_flight", 65);
    Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, bad);
    assertThat(a.status()).isEqualTo(400);
    assertThat(fields(a)).contains("configuration.ordering", "configuration.max_in_flight");
    assertThat(a.body()).contains("by-customer").contains("65");
  }

  @Test
  @DisplayName("400 lists every problem of the document with its field path")
  void listsEveryProblem() {
    ObjectNode doc = Docs.subscription("", "ftp://example.com/x", "orders-1", "value.amount >");
    ((ObjectNode) doc.get("configuration").get("batching")).put("max_batch_size", 0);
    ((ObjectNode) doc.get("configuration").get("retry")).put("max_retries", "three");
    doc.put("surprise", true);
    Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, doc);
    assertThat(a.status()).isEqualTo(400);
    assertThat(fields(a))
        .contains(
            "name",
            "destination.webhook.url",
            "configuration.batching.max_batch_size",
            "configuration.retry.max_retries",
            "surprise");
    assertThat(fields(a).stream().anyMatch(f -> f.startsWith("source[0].jmes_filters"))).isTrue();
    assertThat(a.json().get("error").asText()).isNotBlank();
  }

  @Test
  @DisplayName("a filter whose root is not a field of the message object can never match: 400 naming it, with a hint")
  void neverMatchingFilterIsRefused() {
    String topic = topic("orders-");
    Answer a = server.post("/1/Subscription", BILLING, Docs.subscription("never", hook, topic, "value.region == 'eu'", "amount > `100`"));
    assertThat(a.status()).as(a.toString()).isEqualTo(400);
    assertThat(fields(a)).containsExactly("source[0].jmes_filters[1]");
    assertThat(a.json().at("/details/0/message").asText()).contains("can never match").contains("did you mean value.amount?");
    assertThat(server.get("/1/Subscription", BILLING).body()).doesNotContain("\"never\"");
    // on a PUT too, and the subscription stays as it was
    String id = create(BILLING, Docs.subscription("kept", hook, topic)).get("id").asText();
    Answer put = server.call("PUT", "/1/Subscription/" + id, BILLING, Docs.subscription("kept", hook, topic, "Value.amount > `1`"));
    assertThat(put.status()).isEqualTo(400);
    assertThat(put.json().at("/details/0/message").asText()).contains("did you mean value.amount?");
    assertThat(server.get("/1/Subscription/" + id, BILLING).json().at("/source/0/jmes_filters")).isEmpty();
  }

  @Test
  @DisplayName("415 for a body that is not application/json, 413 for one that is too large, 405 for a wrong method")
  void protocolErrors() {
    Answer text = server.call("POST", "/1/Subscription", ServerKeys.ADMIN, "{}", "Content-Type", "text/plain");
    assertThat(text.status()).isEqualTo(415);
    assertThat(text.json().at("/details/0/field").asText()).isEqualTo("Content-Type");
    Answer latin1 =
        server.call("POST", "/1/Subscription", ServerKeys.ADMIN, "{}", "Content-Type", "application/json; charset=iso-8859-1");
    assertThat(latin1.status()).isEqualTo(415);
    byte[] big = new byte[300 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    Answer large = server.call("POST", "/1/Subscription", ServerKeys.ADMIN, big);
    assertThat(large.status()).isEqualTo(413);
    assertThat(large.json().get("error").asText()).contains("too large");
    Answer patch = server.call("PATCH", "/1/Subscription", ServerKeys.ADMIN, "{}");
    assertThat(patch.status()).isEqualTo(405);
    assertThat(patch.json().get("error").asText()).isNotBlank();
    Answer deleteAll = server.call("DELETE", "/1/Subscription", ServerKeys.ADMIN, null);
    assertThat(deleteAll.status()).isEqualTo(405);
    assertThat(deleteAll.header("Allow")).contains("GET").contains("POST");
    Answer nowhere = server.get("/2/Subscription", ServerKeys.ADMIN);
    assertThat(nowhere.status()).isEqualTo(404);
    assertThat(nowhere.json().get("error").asText()).isNotBlank();
  }

  @Test
  @DisplayName("404 for ids that are not UUIDs, including path traversal")
  void nonUuidIdsAre404() {
    for (String id : List.of("1", "abc", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "00000000-0000-0000-0000-00000000000g", "%00")) {
      Answer a = server.get("/1/Subscription/" + id, ServerKeys.ADMIN);
      assertThat(a.status()).as(id).isIn(400, 404);
      assertThat(a.body()).doesNotContain("Exception");
    }
  }

  @Test
  @DisplayName("/health is ready with Kafka and the database up; /health/live answers; no key needed")
  void health() {
    Answer a = server.get("/health", null);
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    assertThat(a.json().get("status").asText()).isEqualTo("UP");
    assertThat(a.json().at("/checks/kafka").asText()).isEqualTo("UP");
    assertThat(a.json().at("/checks/database").asText()).isEqualTo("UP");
    assertThat(server.get("/health/live", null).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("/metrics: Prometheus text with JVM, HTTP server and engine metrics")
  void metrics() {
    create(ServerKeys.ADMIN, Docs.subscription("metered", hook, topic("metered-")));
    server.get("/1/Subscription", ServerKeys.ADMIN);
    Answer a = server.get("/metrics", null);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.header("Content-Type")).startsWith("text/plain");
    assertThat(a.body())
        .contains("jvm_memory_used_bytes")
        .contains("http_server_requests_seconds_count{method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/1/Subscription\"}")
        .contains("webhookd_");
    assertThat(a.body()).doesNotContain(ServerKeys.ADMIN);
  }

  @Test
  @DisplayName("the OpenAPI document and the routes agree both ways")
  void openApiMatchesRoutes() throws IOException {
    Answer a = server.get("/openapi.json", null);
    assertThat(a.status()).isEqualTo(200);
    JsonNode doc = a.json();
    try (InputStream in = RestApi.class.getResourceAsStream("/openapi.json")) {
      assertThat(TestServer.JSON.readTree(in)).isEqualTo(doc);
    }
    assertThat(doc.get("openapi").asText()).startsWith("3.");
    TreeSet<String> documented = new TreeSet<>();
    Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields();
    while (paths.hasNext()) {
      var p = paths.next();
      p.getValue().fieldNames().forEachRemaining(m -> {
        if (!m.equals("parameters")) {
          documented.add(m.toUpperCase(java.util.Locale.ROOT) + " " + p.getKey());
        }
      });
    }
    TreeSet<String> served = new TreeSet<>(server.server.routes());
    assertThat(served).isNotEmpty();
    assertThat(documented).isEqualTo(served);
    assertThat(new TreeSet<>(RestApi.ROUTES)).isEqualTo(served);
    // every documented operation answers something other than "no such route"
    for (String op : documented) {
      String method = op.substring(0, op.indexOf(' '));
      String path = op.substring(op.indexOf(' ') + 1).replaceAll("\\{[^}]+}", UUID.randomUUID().toString());
      Answer r = server.call(method, path, ServerKeys.ADMIN, method.equals("GET") || method.equals("DELETE") ? null : "{}");
      assertThat(r.status()).as(op).isNotEqualTo(405);
      if (r.status() == 404) {
        assertThat(r.json().get("error").asText()).as(op).startsWith("no subscription");
      }
    }
  }

  static List<String> ids(Answer a) {
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    a.json().forEach(s -> ids.add(s.get("id").asText()));
    return ids;
  }

  static List<String> fields(Answer a) {
    List<String> f = new ArrayList<>();
    a.json().get("details").forEach(d -> f.add(d.get("field").asText()));
    return f;
  }
}
