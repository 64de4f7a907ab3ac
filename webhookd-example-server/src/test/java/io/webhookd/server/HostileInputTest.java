package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.server.TestServer.Answer;
import io.webhookd.testkit.KafkaExtension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and hostile requests: wrong types, sizes, encodings, JMESPath and URL injection, path
 * traversal in ids, huge headers, bad UTF-8, deep nesting. None may be answered with a 5xx, and
 * the JSON answers never carry a stack trace.
 */
class HostileInputTest {
  @TempDir static Path dir;
  static TestServer server;
  static String validId;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(KafkaExtension.shared(1), dir.resolve("data"), RestApiTest.clientsFile(dir));
    Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, Docs.subscription("target", "http://127.0.0.1:9/x", "hostile-" + UUID.randomUUID()));
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    validId = a.json().get("id").asText();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** A hostile request and the answer it got. */
  record Case(String name, Supplier<Integer> send) {}

  static final List<Case> CASES = new ArrayList<>();
  static final List<String> BODIES_SEEN = new ArrayList<>();

  static ObjectNode doc() {
    return Docs.subscription("hostile", "http://127.0.0.1:9/x", "hostile-topic");
  }

  static void json(String name, Object body) {
    CASES.add(
        new Case(
            name,
            () -> {
              Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, body);
              BODIES_SEEN.add(a.body());
              return a.status();
            }));
    CASES.add(
        new Case(
            name + " (PUT)",
            () -> {
              Answer a = server.call("PUT", "/1/Subscription/" + validId, ServerKeys.ADMIN, body);
              BODIES_SEEN.add(a.body());
              return a.status();
            }));
  }

  static void mutate(String name, java.util.function.Consumer<ObjectNode> change) {
    ObjectNode d = doc();
    change.accept(d);
    json(name, d);
  }

  static ObjectNode webhook(ObjectNode d) {
    return (ObjectNode) d.get("destination").get("webhook");
  }

  static ObjectNode source(ObjectNode d) {
    return (ObjectNode) d.get("source").get(0);
  }

  static ObjectNode batching(ObjectNode d) {
    return (ObjectNode) d.get("configuration").get("batching");
  }

  static ObjectNode retry(ObjectNode d) {
    return (ObjectNode) d.get("configuration").get("retry");
  }

  static void raw(String name, String request) {
    raw(name, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  static void raw(String name, byte[] request) {
    CASES.add(new Case(name, () -> server.raw(request)));
  }

  static byte[] concat(String head, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(body);
    return out.toByteArray();
  }

  static String auth() {
    return "Authorization: Bearer " + ServerKeys.ADMIN + "\r\n";
  }

  static {
    // malformed JSON
    for (String s :
        List.of(
            "", " ", "{", "}", "[", "[]", "null", "true", "42", "\"string\"", "{\"name\":}", "{\"name\" \"x\"}",
            "{'name':'x'}", "{\"name\":\"x\",}", "{\"name\":\"x\"} trailing", "{\"name\":\"x\"}{}", "NaN",
            "{\"name\":\"\\ud800\"}", "{\"name\":\"x\",\"name\":\"y\"}", "\u0000", "{\"a\":1e99999}",
            "{\"configuration\":{\"batching\":{\"max_batch_size\":1e400}}}")) {
      json("malformed " + s, s);
    }
    // deep nesting
    json("nested arrays 10000", "[".repeat(10_000) + "]".repeat(10_000));
    json("nested objects 5000", "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000));
    mutate("deep nesting in name", d -> d.set("name", deep(200)));
    // wrong types
    mutate("name number", d -> d.put("name", 42));
    mutate("name array", d -> d.putArray("name").add("x"));
    mutate("active boolean", d -> d.put("active", true));
    mutate("active maybe", d -> d.put("active", "maybe"));
    mutate("destination string", d -> d.put("destination", "http://x"));
    mutate("destination kind email", d -> ((ObjectNode) d.get("destination")).put("kind", "email"));
    mutate("headers string", d -> webhook(d).put("headers", "Authorization: x"));
    mutate("headers of numbers", d -> webhook(d).putArray("headers").add(1).add(2));
    mutate("header without colon", d -> webhook(d).putArray("headers").add("NoColonHere"));
    mutate("header CRLF injection", d -> webhook(d).putArray("headers").add("X-A: b\r\nX-Injected: yes"));
    mutate("header name with space", d -> webhook(d).putArray("headers").add("Bad Name: v"));
    mutate("reserved header Host", d -> webhook(d).putArray("headers").add("Host: evil.example"));
    mutate("1000 headers", d -> {
      var h = webhook(d).putArray("headers");
      for (int i = 0; i < 1000; i++) {
        h.add("X-H" + i + ": v");
      }
    });
    mutate("source object", d -> d.putObject("source"));
    mutate("source empty", d -> d.putArray("source"));
    mutate("topic number", d -> source(d).put("topic", 7));
    mutate("topic empty", d -> source(d).put("topic", ""));
    mutate("topic with slash", d -> source(d).put("topic", "../../etc"));
    mutate("topic too long", d -> source(d).put("topic", "t".repeat(300)));
    mutate("topic with wildcard", d -> source(d).put("topic", "*"));
    mutate("filters string", d -> source(d).put("jmes_filters", "value.a"));
    mutate("filters of objects", d -> source(d).putArray("jmes_filters").addObject());
    mutate("batch size string", d -> batching(d).put("max_batch_size", "10"));
    mutate("batch size 0", d -> batching(d).put("max_batch_size", 0));
    mutate("batch size 1001", d -> batching(d).put("max_batch_size", 1001));
    mutate("batch size negative", d -> batching(d).put("max_batch_size", -1));
    mutate("batch size float", d -> batching(d).put("max_batch_size", 1.5));
    mutate("batch size huge", d -> batching(d).put("max_batch_size", new java.math.BigInteger("99999999999999999999999")));
    mutate("interval 0", d -> batching(d).put("max_batch_interval_seconds", 0));
    mutate("interval 301", d -> batching(d).put("max_batch_interval_seconds", 301));
    mutate("interval long max", d -> batching(d).put("max_batch_interval_seconds", Long.MAX_VALUE));
    mutate("retries 11", d -> retry(d).put("max_retries", 11));
    mutate("retries -1", d -> retry(d).put("max_retries", -1));
    mutate("retry algorithm unknown", d -> retry(d).put("retry_algorithm", "fibonacci"));
    mutate("retry delay negative", d -> retry(d).put("initial_delay_ms", -5));
    mutate("alert channel sms", d -> ((ObjectNode) d.get("configuration")).putObject("alerting").put("alert_channel", "sms"));
    mutate("alert emails invalid", d -> ((ObjectNode) d.get("configuration")).putObject("alerting").put("alert_channel", "email").putArray("alert_emails").add("not-an-email").add("a@b@c"));
    mutate("rate limit zero", d -> ((ObjectNode) d.get("configuration")).putObject("rate_limit").put("max_requests_per_second", 0));
    mutate("rate limit negative", d -> ((ObjectNode) d.get("configuration")).putObject("rate_limit").put("max_requests_per_second", -3));
    mutate("rate limit string", d -> ((ObjectNode) d.get("configuration")).putObject("rate_limit").put("max_requests_per_second", "fast"));
    mutate("unknown top-level field", d -> d.put("admin", true));
    mutate("unknown nested field", d -> webhook(d).put("method", "DELETE"));
    mutate("owner injection", d -> d.put("owner", "shipping"));
    mutate("signing secret short", d -> webhook(d).put("signing_secret", "whsec_AAAA"));
    mutate("signing secret not base64", d -> webhook(d).put("signing_secret", "whsec_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"));
    mutate("signing secret masked", d -> webhook(d).put("signing_secret", "whsec_****"));
    // strings: sizes, encodings
    mutate("name 100k", d -> d.put("name", "n".repeat(100_000)));
    mutate("name control chars", d -> d.put("name", "a\u0000b\u001bc"));
    mutate("name RTL override", d -> d.put("name", "\u202Egnp.exe"));
    mutate("name emoji", d -> d.put("name", "\uD83D\uDE00".repeat(300)));
    // JMESPath injection
    for (String f :
        List.of(
            "value.amount >", "[[[[[[", "`", "value.a == `{\"unterminated\"", "@@@", "length(@, @, @)",
            "unknown_function(value)", "value.a | | b", "&", "${jndi:ldap://x/a}", "'; DROP TABLE subscriptions; --",
            "value.a".repeat(2000), "(".repeat(5000) + "a" + ")".repeat(5000), "[?value.a == `1`".repeat(50),
            "\u0000")) {
      mutate("jmespath " + (f.length() > 30 ? f.substring(0, 30) + "…" : f), d -> source(d).putArray("jmes_filters").add(f));
    }
    // URL injection
    for (String u :
        List.of(
            "", "not a url", "ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "gopher://127.0.0.1:25/",
            "http://", "http:///path", "//example.com/x", "http://exa mple.com/", "http://example.com/#frag",
            "http://example.com/\r\nHost: evil", "http://[::1", "http://example.com:99999/", "https://" + "a".repeat(3000) + ".com/",
            "data:text/plain,hi", "http://user:pass@example.com@evil.com/", "HTTP://EXAMPLE.COM:-1/")) {
      mutate("url " + (u.length() > 40 ? u.substring(0, 40) + "…" : u), d -> webhook(d).put("url", u));
    }
    mutate("url number", d -> webhook(d).put("url", 80));
    // from the hostile review (issue 13)
    mutate("url port 99999", d -> webhook(d).put("url", "http://127.0.0.1:99999/x"));
    mutate("url port 0", d -> webhook(d).put("url", "http://127.0.0.1:0/x"));
    mutate("url masked query", d -> webhook(d).put("url", "http://127.0.0.1:9/x?token=****"));
    mutate("url masked user info", d -> webhook(d).put("url", "http://****@127.0.0.1:9/x"));
    mutate("url lone surrogate", d -> webhook(d).put("url", "http://127.0.0.1:9/\ud800"));
    mutate("name lone surrogate", d -> d.put("name", "\ud800"));
    mutate("name line separator", d -> d.put("name", "a\u2028b"));
    for (String c : List.of("\u000b", "\u007f", "\u0085", "\u2028", "\u2029", "\udc00")) {
      mutate("header value U+" + Integer.toHexString(c.charAt(0)), d -> webhook(d).putArray("headers").add("X-A: a" + c + "b"));
    }
    mutate("header masked without a stored one", d -> webhook(d).putArray("headers").add("X-Api-Key: ****"));
    for (String r : List.of("1e-320", "0", "-1", "0.001", "10001", "1e400", "4.9e-324")) {
      mutate("rate limit " + r, d -> ((ObjectNode) d.get("configuration")).putObject("rate_limit")
          .put("max_requests_per_second", new java.math.BigDecimal(r.equals("1e400") ? "1e400" : r)));
    }
    mutate("filter lone surrogate", d -> source(d).putArray("jmes_filters").add("value.a == '\udbff'"));
    mutate("alert email lone surrogate", d -> ((ObjectNode) d.get("configuration")).putObject("alerting")
        .put("alert_channel", "email").putArray("alert_emails").add("a\ud800@example.com"));
    // admin document
    for (String s :
        List.of("{}", "{\"status\":1}", "{\"status\":\"ONLINE\"}", "{\"status\":\"offline\",\"offline_message\":\"\\ud800\"}", "{\"status\":\"offline\",\"offline_message\":" + "\"" + "m".repeat(5000) + "\"}", "[]", "{\"status\":null}")) {
      CASES.add(
          new Case(
              "admin " + (s.length() > 40 ? s.substring(0, 40) : s),
              () -> {
                Answer a = server.post("/1/EventNotificationAdmin", ServerKeys.ADMIN, s);
                BODIES_SEEN.add(a.body());
                return a.status();
              }));
    }
    // path traversal and odd ids
    for (String id :
        List.of(
            "..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2f", "....//....//etc", "%00", "%ff%fe", "%c0%ae%c0%ae",
            "00000000-0000-0000-0000-000000000000", "%27%20OR%201%3D1--", "%7B%7Bid%7D%7D",
            UUID.randomUUID().toString().toUpperCase(), "x".repeat(5000))) {
      CASES.add(
          new Case(
              "id " + (id.length() > 30 ? id.substring(0, 30) : id),
              () -> {
                Answer a = server.get("/1/Subscription/" + id, ServerKeys.ADMIN);
                BODIES_SEEN.add(a.body());
                return a.status();
              }));
      CASES.add(
          new Case(
              "status of id " + (id.length() > 30 ? id.substring(0, 30) : id),
              () -> server.call("DELETE", "/1/Subscription/" + id, ServerKeys.ADMIN, null).status()));
    }
    // raw protocol abuse
    raw("path traversal raw", "GET /1/Subscription/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw("encoded traversal raw", "GET /1/Subscription/..%2f..%2f HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw("bad utf-8 in path", concat("GET /1/Subscription/", concat("\u00c0\u00af\u00ff HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n", new byte[0])));
    raw("SQL injection in id", "GET /1/Subscription/'%20OR%20'1'='1 HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw(
        "bad utf-8 in path, complete request",
        concat(
            "GET /1/Subscription/",
            concat("\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n", new byte[0])));
    raw("bad utf-8 body", concat(
        "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nContent-Length: 14\r\n\r\n",
        new byte[] {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', '}'}));
    raw("utf-16 body", concat(
        "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nContent-Length: 6\r\n\r\n",
        "{}".getBytes(StandardCharsets.UTF_16)));
    raw("huge header 64k", "GET /1/Subscription HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(65_536) + "\r\n" + auth() + "\r\n");
    raw("huge authorization header", "GET /1/Subscription HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + "k".repeat(20_000) + "\r\n\r\n");
    raw("500 headers", "GET /1/Subscription HTTP/1.1\r\nHost: x\r\n" + "X-A: b\r\n".repeat(500) + auth() + "\r\n");
    raw("header without colon", "GET /1/Subscription HTTP/1.1\r\nHost: x\r\nNoColon\r\n" + auth() + "\r\n");
    raw("lying content-length", "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}");
    raw("negative content-length", "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nContent-Length: -1\r\n\r\n{}");
    raw("two content-lengths", "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
    raw("chunked oversize", "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + ("8000\r\n" + " ".repeat(0x8000) + "\r\n").repeat(10) + "0\r\n\r\n");
    raw("bad chunk", "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
    raw("request smuggling CL+TE", "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n");
    raw("unknown method", "BREW /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw("HEAD without a key", "HEAD /1/Subscription HTTP/1.1\r\nHost: x\r\n\r\n");
    raw("OPTIONS without a key", "OPTIONS /1/Subscription HTTP/1.1\r\nHost: x\r\n\r\n");
    raw("TRACE", "TRACE /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw("OPTIONS", "OPTIONS /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw("HTTP/0.9", "GET /1/Subscription\r\n\r\n");
    raw("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    raw("absolute URI to elsewhere", "GET http://evil.example/1/Subscription HTTP/1.1\r\nHost: evil.example\r\n" + auth() + "\r\n");
    raw("very long URI", "GET /1/Subscription/" + "a".repeat(70_000) + " HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw("NUL in request line", "GET /1/Sub\u0000scription HTTP/1.1\r\nHost: x\r\n" + auth() + "\r\n");
    raw("binary garbage", new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03});
    raw("bearer with tab", "GET /1/Subscription HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\t" + ServerKeys.ADMIN + "\r\n\r\n");
    raw("bearer latin-1", "GET /1/Subscription HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00e9\u00e8\u00ff\r\n\r\n");
    raw("content-type garbage", "POST /1/Subscription HTTP/1.1\r\nHost: x\r\n" + auth() + "Content-Type: ;;;==\r\nContent-Length: 2\r\n\r\n{}");
    raw("If-Match garbage", "PUT /1/Subscription/" + "00000000-0000-0000-0000-000000000000" + " HTTP/1.1\r\nHost: x\r\n" + auth() + "If-Match: \"\u00ff\"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  }

  static ObjectNode deep(int depth) {
    ObjectNode root = TestServer.JSON.createObjectNode();
    ObjectNode cur = root;
    for (int i = 0; i < depth; i++) {
      cur = cur.putObject("a");
    }
    return root;
  }

  @TestFactory
  Stream<DynamicTest> noHostileRequestGetsA5xx() {
    return CASES.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name(),
                    () -> {
                      int status;
                      try {
                        status = c.send().get();
                      } catch (RuntimeException e) {
                        throw new AssertionError(c.name() + ": " + e, e);
                      }
                      // 0: the server closed the connection without an answer; acceptable for
                      // protocol garbage, never a 5xx
                      assertThat(status).as(c.name()).isNotEqualTo(-1).isLessThan(500);
                    }));
  }

  @Test
  void theSuiteIsLargeEnough() {
    assertThat(CASES.size()).isGreaterThanOrEqualTo(100);
  }

  @Test
  void noAnswerCarriesAStackTraceOrASecret() {
    for (Case c : CASES.subList(0, Math.min(40, CASES.size()))) {
      c.send().get();
    }
    assertThat(BODIES_SEEN).isNotEmpty();
    for (String body : BODIES_SEEN) {
      assertThat(body).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain(ServerKeys.ADMIN);
    }
    // and the server is still well
    assertThat(server.get("/health", null).status()).isEqualTo(200);
    assertThat(server.get("/1/Subscription/" + validId, ServerKeys.ADMIN).status()).isEqualTo(200);
  }

  // -----------------------------------------------------------------------------------------
  // The hostile review's findings (issue 13), each with the answer it must get

  static String problems(Answer a) {
    return a.json().get("details").toString();
  }

  @Test
  @DisplayName("a port outside 1..65535 is a 400 naming the field, the rule and the port")
  void portOutOfRangeIsRefused() {
    for (String port : List.of("99999", "0", "70000")) {
      ObjectNode d = doc();
      webhook(d).put("url", "http://127.0.0.1:" + port + "/x");
      Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, d);
      assertThat(a.status()).as(a.toString()).isEqualTo(400);
      assertThat(a.json().at("/details/0/field").asText()).isEqualTo("destination.webhook.url");
      assertThat(a.json().at("/details/0/message").asText()).contains("between 1 and 65535, was " + port);
    }
  }

  @Test
  @DisplayName("a rate limit outside 0.01..10000 per second (1e-320, 0, negative, too large) is a 400 with field, range and value")
  void rateLimitOutOfRangeIsRefused() {
    for (String rate : List.of("1e-320", "0", "-2", "0.001", "10001", "1e400")) {
      String body = doc().toString().replace("\"configuration\":{", "\"configuration\":{\"rate_limit\":{\"max_requests_per_second\":" + rate + "},");
      Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, body);
      assertThat(a.status()).as(rate + ": " + a).isEqualTo(400);
      assertThat(a.json().at("/details/0/field").asText()).isEqualTo("configuration.rate_limit.max_requests_per_second");
      assertThat(a.json().at("/details/0/message").asText()).contains("between 0.01 and 10000").contains("was ");
    }
  }

  @Test
  @DisplayName("a lone surrogate in a name, and control characters in a header value, are 400s naming field and position")
  void loneSurrogatesAndControlCharactersAreRefused() {
    Answer name = server.post("/1/Subscription", ServerKeys.ADMIN, doc().toString().replace("\"name\":\"hostile\"", "\"name\":\"x\\ud800\""));
    assertThat(name.status()).as(name.toString()).isEqualTo(400);
    assertThat(name.json().at("/details/0/field").asText()).isEqualTo("name");
    assertThat(name.json().at("/details/0/message").asText()).isEqualTo("must not contain a lone surrogate U+D800 at position 2");
    for (String c : List.of("\u000b", "\u007f", "\u0085", "\u2028")) {
      ObjectNode d = doc();
      webhook(d).putArray("headers").add("X-Ok: fine").add("X-A: ab" + c + "SECRETVALUE");
      Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, d);
      assertThat(a.status()).as(a.toString()).isEqualTo(400);
      assertThat(a.json().at("/details/0/field").asText()).isEqualTo("destination.webhook.headers[1]");
      assertThat(a.json().at("/details/0/message").asText())
          .contains(String.format("U+%04X at position 3", (int) c.charAt(0)))
          .doesNotContain("SECRETVALUE");
    }
  }

  @Test
  @DisplayName("the URL's user info and query values are masked in POST, GET, list, Status and error answers")
  void urlSecretsAreMaskedEverywhere() {
    String url = "http://127.0.0.1:9/p/PATHSECRET?token=Q1SECRET&apikey=Q2SECRET";
    ObjectNode d = doc();
    webhook(d).put("url", url);
    webhook(d).putArray("headers").add("X-Webhook-Pass: HEADERSECRET1").add("Authorization2: SECRET2 tail");
    Answer created = server.post("/1/Subscription", ServerKeys.ADMIN, d);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String id = created.json().get("id").asText();
    String path = "/1/Subscription/" + id;
    List<Answer> answers = new ArrayList<>(List.of(
        created,
        server.get(path, ServerKeys.ADMIN),
        server.get("/1/Subscription", ServerKeys.ADMIN),
        server.get(path + "/Status", ServerKeys.ADMIN)));
    // errors: a bad document carrying the URL, and a masked URL moved to another host
    ObjectNode bad = doc();
    webhook(bad).put("url", "ftp://user:PASSW0RD@127.0.0.1/x?token=Q1SECRET");
    answers.add(server.post("/1/Subscription", ServerKeys.ADMIN, bad));
    ObjectNode moved = (ObjectNode) server.get(path, ServerKeys.ADMIN).json();
    webhook(moved).put("url", "http://evil.example.com/p/PATHSECRET?token=****&apikey=****");
    Answer refused = server.call("PUT", path, ServerKeys.ADMIN, moved);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    assertThat(problems(refused)).contains("cannot be mapped back");
    answers.add(refused);
    for (Answer a : answers) {
      assertThat(a.body())
          .as(a.toString())
          .doesNotContain("Q1SECRET")
          .doesNotContain("Q2SECRET")
          .doesNotContain("PASSW0RD")
          .doesNotContain("HEADERSECRET1")
          .doesNotContain("SECRET2");
    }
    assertThat(server.get(path, ServerKeys.ADMIN).json().at("/destination/webhook/url").asText())
        .isEqualTo("http://127.0.0.1:9/p/PATHSECRET?token=****&apikey=****");
    assertThat(server.get(path, ServerKeys.ADMIN).json().at("/destination/webhook/headers").toString())
        .contains("X-Webhook-Pass: ****").contains("Authorization2: ****");
    assertThat(server.get(path + "/Status", ServerKeys.ADMIN).json().get("payload_url").asText())
        .isEqualTo("http://127.0.0.1:9/p/PATHSECRET?token=****&apikey=****");
    server.call("DELETE", path, ServerKeys.ADMIN, null);
  }

  @Test
  @DisplayName("a PUT of a masked header that cannot be mapped back is a 400, never another header's value")
  void unmappableMaskedHeaderIsRefused() {
    ObjectNode d = doc();
    webhook(d).putArray("headers").add("X-Api-Key: FIRST").add("Authorization: Bearer ONE");
    Answer created = server.post("/1/Subscription", ServerKeys.ADMIN, d);
    String path = "/1/Subscription/" + created.json().get("id").asText();
    ObjectNode swapped = (ObjectNode) server.get(path, ServerKeys.ADMIN).json();
    webhook(swapped).putArray("headers").add("Authorization: ****").add("X-Api-Key: ****");
    Answer a = server.call("PUT", path, ServerKeys.ADMIN, swapped);
    assertThat(a.status()).as(a.toString()).isEqualTo(400);
    assertThat(a.json().at("/details/0/field").asText()).isEqualTo("destination.webhook.headers[0]");
    assertThat(a.json().at("/details/0/message").asText()).contains("cannot be mapped back").contains("position 0");
    assertThat(a.body()).doesNotContain("FIRST").doesNotContain("ONE");
    server.call("DELETE", path, ServerKeys.ADMIN, null);
  }

  @Test
  @DisplayName("an api_call that got no response has the seed's shape: an int response_code (0) and the error as response_body")
  void connectionErrorHasTheSeedShape() {
    // validId's webhook is 127.0.0.1:9 (discard, closed): every attempt is a connection error
    String topic = "hostile-shape-" + UUID.randomUUID();
    ObjectNode d = Docs.subscription("shape", "http://127.0.0.1:9/x", topic);
    Answer created = server.post("/1/Subscription", ServerKeys.ADMIN, d);
    String id = created.json().get("id").asText();
    KafkaExtension.shared(1).produce(topic, List.of(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "k", "{}".getBytes(StandardCharsets.UTF_8))));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .untilAsserted(() -> {
          Answer st = server.get("/1/Subscription/" + id + "/Status", ServerKeys.ADMIN);
          com.fasterxml.jackson.databind.JsonNode call = null;
          for (com.fasterxml.jackson.databind.JsonNode e : st.json().get("recent_activity")) {
            if (e.get("event").asText().equals("api_call")) {
              call = e;
            }
          }
          assertThat(call).as(st.toString()).isNotNull();
          assertThat(call.get("response_code").isInt()).as(call.toString()).isTrue();
          assertThat(call.get("response_code").asInt()).isZero();
          assertThat(call.get("response_body").asText()).isNotBlank();
        });
    server.call("DELETE", "/1/Subscription/" + id, ServerKeys.ADMIN, null);
  }
}
