package io.webhookd.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.ActivityEvent;
import io.webhookd.AdminStatus;
import io.webhookd.Health;
import io.webhookd.HealthDetails;
import io.webhookd.OnlineState;
import io.webhookd.Problem;
import io.webhookd.RetryAlgorithm;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.ValidationException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SubscriptionJsonTest {
  private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  /** The seed's example, filled in. */
  private static final String SEED =
      """
      {
        "name": "orders to billing",
        "active": "yes",
        "destination": {
          "kind": "webhook",
          "webhook": {
            "url": "https://billing.example.com/hook",
            "headers": ["Authorization: Bearer s3cr3t-token", "X-Team: billing"]
          }
        },
        "source": [
          {"topic": "orders", "jmes_filters": ["value.amount > `100`", "value.region == 'eu'"]},
          {"topic": "refunds", "jmes_filters": []}
        ],
        "configuration": {
          "batching": {"max_batch_size": 50, "max_batch_interval_seconds": 60},
          "retry": {"max_retries": 5, "retry_algorithm": "fixed_time"},
          "alerting": {"alert_channel": "email", "alert_emails": ["ops@example.com"]}
        }
      }
      """;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<Problem> problemsOf(String json) {
    ValidationException e =
        catchThrowableOfType(ValidationException.class, () -> SubscriptionJson.parse(bytes(json)));
    assertThat(e).as("a ValidationException for %s", json).isNotNull();
    return e.problems();
  }

  private static Subscription subscription(SubscriptionSpec spec) {
    return new Subscription(
        "0b7c4c4e-9d0a-4d43-9f55-1f2f0c1d2e3f",
        spec,
        "billing",
        3,
        Instant.parse("2026-11-29T10:15:30.123Z"),
        Instant.parse("2026-11-30T08:00:00Z"));
  }

  @Test
  @DisplayName("the seed's example parses into the spec it describes")
  void seedExampleParses() {
    SubscriptionSpec spec = SubscriptionJson.parse(bytes(SEED));

    assertThat(spec.name()).isEqualTo("orders to billing");
    assertThat(spec.active()).isTrue();
    assertThat(spec.destination().url()).hasToString("https://billing.example.com/hook");
    assertThat(spec.destination().headers())
        .containsExactly(
            new SubscriptionSpec.Header("Authorization", "Bearer s3cr3t-token"),
            new SubscriptionSpec.Header("X-Team", "billing"));
    assertThat(spec.sources())
        .containsExactly(
            new SubscriptionSpec.Source("orders", List.of("value.amount > `100`", "value.region == 'eu'")),
            new SubscriptionSpec.Source("refunds", List.of()));
    assertThat(spec.batching().maxBatchSize()).isEqualTo(50);
    assertThat(spec.batching().maxBatchInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(spec.retry().maxRetries()).isEqualTo(5);
    assertThat(spec.retry().algorithm()).isEqualTo(RetryAlgorithm.FIXED_TIME);
    assertThat(spec.retry().initialDelay()).isEqualTo(SubscriptionSpec.Retry.DEFAULT_INITIAL_DELAY);
    assertThat(spec.alerting()).isEqualTo(new SubscriptionSpec.Alerting("email", List.of("ops@example.com")));
    assertThat(spec.rateLimit()).isNull();
  }

  @Test
  @DisplayName("the full form of a subscription parses back into the same spec, read-only fields ignored")
  void fullFormRoundTrips() {
    SubscriptionSpec spec =
        SubscriptionJson.parse(bytes(SEED)).toBuilder()
            .signingSecret(SECRET)
            .rateLimit(2.5)
            .retryInitialDelay(Duration.ofMillis(250))
            .maxBatchInterval(Duration.ofMillis(1500))
            .build();
    ObjectNode json = SubscriptionJson.toJson(subscription(spec), false);

    assertThat(json.get("id").asText()).isEqualTo("0b7c4c4e-9d0a-4d43-9f55-1f2f0c1d2e3f");
    assertThat(json.get("kind").asText()).isEqualTo("Webhook");
    assertThat(json.get("version").asLong()).isEqualTo(3);
    assertThat(json.get("created_at").asText()).isEqualTo("2026-11-29T10:15:30.123Z");
    assertThat(json.has("owner")).isFalse();
    assertThat(json.at("/configuration/batching/max_batch_interval_ms").asLong()).isEqualTo(1500);
    assertThat(SubscriptionJson.parse(bytes(json.toString()))).isEqualTo(spec);
  }

  @Test
  @DisplayName("a minimal document takes the builder's defaults")
  void minimalDocumentTakesDefaults() {
    SubscriptionSpec spec =
        SubscriptionJson.parse(
            bytes(
                """
                {"name": "n", "destination": {"webhook": {"url": "http://h/x"}}, "source": [{"topic": "t"}]}
                """));
    SubscriptionSpec expected =
        SubscriptionSpec.builder().name("n").webhookUrl("http://h/x").source("t").build();
    assertThat(spec).isEqualTo(expected);
  }

  @Test
  @DisplayName("a document with five different mistakes gives five problems, each at its path")
  void everyProblemAtOnce() {
    List<Problem> problems =
        problemsOf(
            """
            {
              "name": "",
              "active": "maybe",
              "destination": {"kind": "webhook", "webhook": {"url": "ftp://x", "headers": ["no colon here"]}},
              "source": [{"topic": "orders"}],
              "configuration": {"batching": {"max_batch_size": 0}}
            }
            """);
    assertThat(problems)
        .extracting(Problem::field)
        .containsExactly(
            "name",
            "active",
            "destination.webhook.url",
            "destination.webhook.headers[0]",
            "configuration.batching.max_batch_size");
    assertThat(problems.get(4).message()).isEqualTo("must be between 1 and 1000, was 0");
    assertThat(problems.get(1).message()).isEqualTo("must be \"yes\" or \"no\", was \"maybe\"");
  }

  @Test
  @DisplayName("an unknown field at any level is a problem naming it and the known fields")
  void unknownFields() {
    List<Problem> problems =
        problemsOf(
            SEED.replace("\"name\":", "\"colour\": \"red\", \"name\":")
                .replace("\"max_retries\"", "\"retries\": 1, \"max_retries\""));
    assertThat(problems).extracting(Problem::field).containsExactly("colour", "configuration.retry.retries");
    assertThat(problems.get(0).message())
        .isEqualTo("is not a known field; known fields are name, active, destination, source, configuration");
  }

  @Test
  @DisplayName("wrong types are reported once each, with the value, and not again by the spec rules")
  void wrongTypes() {
    List<Problem> problems =
        problemsOf(
            SEED.replace("\"max_batch_size\": 50", "\"max_batch_size\": \"10\"")
                .replace("\"max_batch_interval_seconds\": 60", "\"max_batch_interval_seconds\": 1.5")
                .replace("\"max_retries\": 5", "\"max_retries\": 99999999999")
                .replace("\"name\": \"orders to billing\"", "\"name\": 7")
                .replace("[\"ops@example.com\"]", "[true]")
                .replace("\"topic\": \"refunds\"", "\"topic\": [\"refunds\"]"));
    assertThat(problems)
        .containsExactly(
            new Problem("name", "must be a string, was 7"),
            new Problem("source[1].topic", "must be a string, was an array"),
            new Problem("configuration.batching.max_batch_size", "must be an integer, was \"10\""),
            new Problem("configuration.batching.max_batch_interval_seconds", "must be an integer, was 1.5"),
            new Problem(
                "configuration.retry.max_retries",
                "must be an integer between -2147483648 and 2147483647, was 99999999999"),
            new Problem("configuration.alerting.alert_emails[0]", "must be a string, was true"));
  }

  @Test
  @DisplayName("malformed JSON is one problem at $ with line and column")
  void malformedJson() {
    List<Problem> problems = problemsOf("{\n  \"name\": \"x\",\n  \"active\" \"yes\"\n}");
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).field()).isEqualTo("$");
    assertThat(problems.get(0).message()).startsWith("is not valid JSON").contains("line 3, column");
  }

  @Test
  @DisplayName("a duplicate key is refused at its path")
  void duplicateKeys() {
    List<Problem> problems =
        problemsOf(SEED.replace("\"url\": \"https://billing.example.com/hook\",",
            "\"url\": \"https://billing.example.com/hook\", \"url\": \"https://evil.example.com\","));
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).field()).isEqualTo("destination.webhook.url");
    assertThat(problems.get(0).message()).startsWith("is given more than once");
  }

  @Test
  @DisplayName("hostile documents are refused: too deep, too large, not an object")
  void hostileInput() {
    String deep = "{\"name\":" + "[".repeat(100) + "]".repeat(100) + "}";
    assertThat(problemsOf(deep)).singleElement().extracting(Problem::field).isEqualTo("$");
    byte[] big = new byte[SubscriptionJson.MAX_DOCUMENT_BYTES + 1];
    assertThatThrownBy(() -> SubscriptionJson.parse(big))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("must be at most 262144 bytes");
    assertThat(problemsOf("[1,2]")).containsExactly(new Problem("$", "must be a JSON object, was an array"));
    assertThat(problemsOf("")).extracting(Problem::field).containsExactly("$");
    assertThat(problemsOf("{} {}")).extracting(Problem::field).containsExactly("$");
  }

  @Test
  @DisplayName("the masked form hides secret header values and the signing secret; the full form keeps them")
  void masking() {
    SubscriptionSpec spec = SubscriptionJson.parse(bytes(SEED)).toBuilder().signingSecret(SECRET).build();
    ObjectNode masked = SubscriptionJson.toJson(subscription(spec), true);
    ObjectNode full = SubscriptionJson.toJson(subscription(spec), false);

    assertThat(masked.toString()).doesNotContain("s3cr3t-token").doesNotContain(SECRET);
    assertThat(masked.at("/destination/webhook/headers/0").asText()).isEqualTo("Authorization: ****");
    assertThat(masked.at("/destination/webhook/headers/1").asText()).isEqualTo("X-Team: ****");
    assertThat(masked.at("/destination/webhook/signing_secret").asText()).isEqualTo("whsec_****");
    assertThat(full.toString()).contains("Bearer s3cr3t-token").contains(SECRET);
  }

  @Test
  @DisplayName("a masked document sent back keeps the previous secrets, and is refused without them")
  void maskedSecretsSentBack() {
    SubscriptionSpec spec = SubscriptionJson.parse(bytes(SEED)).toBuilder().signingSecret(SECRET).build();
    byte[] masked = bytes(SubscriptionJson.toJson(subscription(spec), true).toString());

    assertThat(SubscriptionJson.parse(masked, spec)).isEqualTo(spec);
    assertThatThrownBy(() -> SubscriptionJson.parse(masked))
        .isInstanceOfSatisfying(
            ValidationException.class,
            e ->
                assertThat(e.problems())
                    .extracting(Problem::field)
                    .containsExactly(
                        "destination.webhook.headers[0]", "destination.webhook.headers[1]",
                        "destination.webhook.signing_secret"));
  }

  @Test
  @DisplayName("status, admin, activity and health documents round-trip")
  void statusDocumentsRoundTrip() {
    Instant t = Instant.parse("2026-11-29T10:15:30Z");
    ActivityEvent call =
        new ActivityEvent(
            t, ActivityEvent.Type.API_CALL, "POST https://h/x", List.of("Authorization: ****"),
            503, "busy", List.of("Retry-After: 5"), "server error", 10, 123L);
    ActivityEvent active = ActivityEvent.stateChange(t, ActivityEvent.Type.ACTIVE, "registered");
    HealthDetails health =
        new HealthDetails(Health.UNHEALTHY, t, t.minusSeconds(60), t, 4, 503, "HTTP 503", 1000, 4,
            "unhealthy alert sent to 1 recipient", t, true);
    SubscriptionStatus status =
        new SubscriptionStatus("id-1", "n", true, "https://h/x", t, Health.UNHEALTHY, health, 42L,
            List.of(call, active));

    JsonNode statusJson = SubscriptionJson.toJson(status);
    assertThat(statusJson.get("kind").asText()).isEqualTo("WebhookStatus");
    assertThat(statusJson.get("status").asText()).isEqualTo("unhealthy");
    assertThat(statusJson.at("/recent_activity/0/event").asText()).isEqualTo("api_call");
    assertThat(statusJson.at("/recent_activity/0/response_code").asInt()).isEqualTo(503);
    assertThat(SubscriptionJson.parseStatus(statusJson)).isEqualTo(status);
    assertThat(SubscriptionJson.parseHealth(SubscriptionJson.toJson(health))).isEqualTo(health);
    assertThat(SubscriptionJson.parseActivity(SubscriptionJson.toJson(active))).isEqualTo(active);

    AdminStatus admin =
        new AdminStatus(new OnlineState(false, "maintenance", t),
            List.of(new AdminStatus.Webhook("id-1", "n", t, Health.INACTIVE, List.of("orders"))));
    JsonNode adminJson = SubscriptionJson.toJson(admin, "inst-1");
    assertThat(adminJson.get("kind").asText()).isEqualTo("WebhookAdmin");
    assertThat(adminJson.get("status").asText()).isEqualTo("offline");
    assertThat(adminJson.at("/webhooks/0/topics/0").asText()).isEqualTo("orders");
    assertThat(SubscriptionJson.parseAdminStatus(adminJson)).isEqualTo(admin);
  }

  @Test
  @DisplayName("the admin request reads online/offline and reports every problem")
  void adminRequest() {
    Instant now = Instant.parse("2026-11-29T10:15:30Z");
    assertThat(SubscriptionJson.parseAdminState(bytes("{\"status\":\"offline\",\"offline_message\":\"upgrade\"}"), now))
        .isEqualTo(new OnlineState(false, "upgrade", now));
    assertThatThrownBy(() -> SubscriptionJson.parseAdminState(bytes("{\"status\":\"down\",\"x\":1}"), now))
        .isInstanceOfSatisfying(
            ValidationException.class,
            e -> assertThat(e.problems()).extracting(Problem::field).containsExactly("x", "status"));
  }

  private static SubscriptionSpec withHeaders(String url, String... headers) {
    SubscriptionSpec.Builder b = SubscriptionJson.parse(bytes(SEED)).toBuilder().clearHeaders().webhookUrl(url);
    for (String h : headers) {
      int colon = h.indexOf(':');
      b.header(h.substring(0, colon).strip(), h.substring(colon + 1).strip());
    }
    return b.build();
  }

  private static List<Problem> problemsOfPut(String json, SubscriptionSpec previous) {
    ValidationException e =
        catchThrowableOfType(ValidationException.class, () -> SubscriptionJson.parse(bytes(json), previous));
    assertThat(e).as("a ValidationException for %s", json).isNotNull();
    return e.problems();
  }

  @Test
  @DisplayName("GET then PUT of the masked document keeps every header, also two of the same name")
  void maskedHeadersMapBackByPosition() {
    SubscriptionSpec stored =
        withHeaders(
            "https://billing.example.com/hook",
            "X-Api-Key: FIRST", "X-Api-Key: SECOND", "Authorization: Bearer ONE", "authorization: Basic TWO");
    String masked = SubscriptionJson.toJson(subscription(stored), true).toString();
    assertThat(masked).doesNotContain("FIRST", "SECOND", "ONE", "TWO");

    SubscriptionSpec put = SubscriptionJson.parse(bytes(masked), stored);

    assertThat(put.destination().headers())
        .containsExactly(
            new SubscriptionSpec.Header("X-Api-Key", "FIRST"),
            new SubscriptionSpec.Header("X-Api-Key", "SECOND"),
            new SubscriptionSpec.Header("Authorization", "Bearer ONE"),
            new SubscriptionSpec.Header("authorization", "Basic TWO"));
  }

  @Test
  @DisplayName("a masked header that cannot be mapped back is refused, never replaced by another value")
  void unmappableMaskedHeadersAreRefused() {
    SubscriptionSpec stored =
        withHeaders("https://billing.example.com/hook", "X-Api-Key: FIRST", "Authorization: Bearer ONE");
    ObjectNode doc = SubscriptionJson.toJson(subscription(stored), true);
    // reordered: position 0 now names Authorization, whose stored header at 0 is X-Api-Key
    ((com.fasterxml.jackson.databind.node.ArrayNode) doc.at("/destination/webhook/headers"))
        .removeAll().add("Authorization: ****").add("X-Api-Key: ****").add("X-New: ****");
    // the older form of a mask maps back only to a value with that scheme
    ObjectNode old = SubscriptionJson.toJson(subscription(stored), true);
    ((com.fasterxml.jackson.databind.node.ArrayNode) old.at("/destination/webhook/headers"))
        .removeAll().add("X-Api-Key: ****").add("Authorization: Basic ****");

    assertThat(problemsOfPut(doc.toString(), stored))
        .extracting(Problem::field)
        .containsExactly(
            "destination.webhook.headers[0]", "destination.webhook.headers[1]", "destination.webhook.headers[2]");
    assertThat(problemsOfPut(doc.toString(), stored).get(0).message())
        .contains("the stored header at position 0 is \"X-Api-Key\"")
        .contains("send the value itself");
    assertThat(problemsOfPut(old.toString(), stored)).extracting(Problem::field)
        .containsExactly("destination.webhook.headers[1]");
    ObjectNode legacy = SubscriptionJson.toJson(subscription(stored), true);
    ((com.fasterxml.jackson.databind.node.ArrayNode) legacy.at("/destination/webhook/headers"))
        .removeAll().add("X-Api-Key: ****").add("Authorization: Bearer ****");
    assertThat(SubscriptionJson.parse(bytes(legacy.toString()), stored).destination().headers())
        .isEqualTo(stored.destination().headers());
  }

  @Test
  @DisplayName("a URL's user info and query values are masked in the document, and a PUT of it keeps the stored URL")
  void maskedUrlMapsBack() {
    SubscriptionSpec stored = withHeaders("http://host/p/PATHSECRET?token=Q1&apikey=Q2");
    ObjectNode masked = SubscriptionJson.toJson(subscription(stored), true);

    assertThat(masked.at("/destination/webhook/url").asText()).isEqualTo("http://host/p/PATHSECRET?token=****&apikey=****");
    assertThat(masked.toString()).doesNotContain("Q1").doesNotContain("Q2");
    assertThat(SubscriptionJson.toJson(subscription(stored), false).at("/destination/webhook/url").asText())
        .isEqualTo("http://host/p/PATHSECRET?token=Q1&apikey=Q2");
    assertThat(SubscriptionJson.parse(bytes(masked.toString()), stored).destination().url())
        .isEqualTo(stored.destination().url());
  }

  @Test
  @DisplayName("a masked URL that cannot be mapped back is refused, and the message does not show the secrets")
  void unmappableMaskedUrlIsRefused() {
    SubscriptionSpec stored = withHeaders("http://host/p?token=Q1&apikey=Q2");
    ObjectNode moved = SubscriptionJson.toJson(subscription(stored), true);
    ((ObjectNode) moved.at("/destination/webhook")).put("url", "http://evil.example.com/p?token=****&apikey=****");

    List<Problem> problems = problemsOfPut(moved.toString(), stored);
    assertThat(problems).extracting(Problem::field).containsExactly("destination.webhook.url");
    assertThat(problems.get(0).message()).contains("cannot be mapped back").doesNotContain("Q1");
    // without a stored subscription (POST) a masked URL is refused too
    assertThat(problemsOf(SEED.replace("https://billing.example.com/hook", "https://h.example.com/x?token=****")))
        .containsExactly(new Problem("destination.webhook.url", "is masked (****" + " in its user info or query); send the URL itself"));
  }

  @Test
  @DisplayName("the rate limit is 0.01 to 10000 per second; anything else names the field, the range and the value")
  void rateLimitRange() {
    String path = "configuration.rate_limit.max_requests_per_second";
    for (String rate : List.of("1e-320", "0", "-3", "0.009", "10000.5", "1e400")) {
      String doc = SEED.replace("\"alerting\":", "\"rate_limit\": {\"max_requests_per_second\": " + rate + "},\n\"alerting\":");
      List<Problem> problems = problemsOf(doc);
      assertThat(problems).as(rate).singleElement().satisfies(p -> {
        assertThat(p.field()).isEqualTo(path);
        assertThat(p.message()).startsWith("must be a number of requests per second between 0.01 and 10000, was ");
      });
    }
    assertThat(problemsOf(SEED.replace("\"alerting\":", "\"rate_limit\": {\"max_requests_per_second\": 1e-320},\n\"alerting\":")).get(0).message())
        .endsWith("was 1.0E-320");
    for (String rate : List.of("0.01", "10000", "5")) {
      String doc = SEED.replace("\"alerting\":", "\"rate_limit\": {\"max_requests_per_second\": " + rate + "},\n\"alerting\":");
      assertThat(SubscriptionJson.parse(bytes(doc)).rateLimit().maxRequestsPerSecond()).isEqualTo(Double.parseDouble(rate));
    }
  }

  @Test
  @DisplayName("a port outside 1..65535 is refused with the port in the message")
  void portOutOfRange() {
    for (String port : List.of("99999", "0", "99999999999", "70000")) {
      List<Problem> problems = problemsOf(SEED.replace("https://billing.example.com/hook", "http://127.0.0.1:" + port + "/x?token=T0P"));
      assertThat(problems).as(port).singleElement().satisfies(p -> {
        assertThat(p.field()).isEqualTo("destination.webhook.url");
        assertThat(p.message()).startsWith("must have a port between 1 and 65535, was " + port).doesNotContain("T0P");
      });
    }
  }

  @Test
  @DisplayName("errors about a URL never show its token or password")
  void urlErrorsAreMasked() {
    for (String url : List.of(
        "ftp://user:PASSW0RD@example.com/x?token=T0KEN", "http://exa mple.com/x?token=T0KEN",
        "http://user:PASSW0RD@/x?token=T0KEN", "gopher://user:PASSW0RD@h/?token=T0KEN")) {
      List<Problem> problems = problemsOf(SEED.replace("https://billing.example.com/hook", url));
      assertThat(problems).as(url).isNotEmpty();
      assertThat(problems.toString()).as(url).doesNotContain("T0KEN").doesNotContain("PASSW0RD");
    }
  }

  @Test
  @DisplayName("lone surrogates and control characters are refused, naming the field and the position")
  void loneSurrogatesAndControlCharacters() {
    assertThat(problemsOf(SEED.replace("\"orders to billing\"", "\"ab\\ud800\"")))
        .containsExactly(new Problem("name", "must not contain a lone surrogate U+D800 at position 3"));
    assertThat(problemsOf(SEED.replace("value.region == 'eu'", "value.region == '\\udc00'")))
        .containsExactly(new Problem("source[0].jmes_filters[1]", "must not contain a lone surrogate U+DC00 at position 18"));
    for (String c : List.of("\\u000b", "\\u007f", "\\u0085", "\\u2028", "\\u2029", "\\ud800")) {
      List<Problem> problems = problemsOf(SEED.replace("X-Team: billing", "X-Team: bil" + c + "ling"));
      String code = c.substring(2).toUpperCase(java.util.Locale.ROOT);
      assertThat(problems).as(c).singleElement().satisfies(p -> {
        assertThat(p.field()).isEqualTo("destination.webhook.headers[1]");
        assertThat(p.message()).contains("U+" + code + " at position 4");
      });
    }
    // a tab is allowed in a header value (RFC 9110), and characters beyond the BMP are whole
    assertThat(SubscriptionJson.parse(bytes(SEED.replace("X-Team: billing", "X-Team: a\\tb").replace("orders to billing", "\\ud83d\\ude00 orders"))).name())
        .isEqualTo("\ud83d\ude00 orders");
  }

  @Test
  @DisplayName("an api_call without a response keeps the seed's shape: response_code 0, the error as response_body")
  void connectionErrorShape() {
    ActivityEvent failed =
        new ActivityEvent(
            Instant.parse("2026-11-29T10:15:30Z"), ActivityEvent.Type.API_CALL, "POST https://h/x", List.of(),
            null, null, List.of(), "ConnectException: Connection refused", 1, 3L);
    JsonNode json = SubscriptionJson.toJson(failed);
    assertThat(json.get("response_code").isInt()).isTrue();
    assertThat(json.get("response_code").asInt()).isZero();
    assertThat(json.get("response_body").asText()).isEqualTo("ConnectException: Connection refused");
  }

  @Test
  @DisplayName("a status masks URLs and headers again, also in activity recorded under narrower rules")
  void statusMasksAgain() {
    Instant t = Instant.parse("2026-11-29T10:15:30Z");
    ActivityEvent old =
        new ActivityEvent(
            t, ActivityEvent.Type.API_CALL, "POST https://h/x?id=SECRET1", List.of("X-Webhook-Pass: SECRET2"),
            200, "ok", List.of("Set-Cookie: SECRET3", "Retry-After: 5"), null, 1, 3L);
    HealthDetails health = HealthDetails.initial(Health.HEALTHY, t);
    SubscriptionStatus status =
        new SubscriptionStatus("id-1", "n", true, "https://h/x?id=SECRET1", t, Health.HEALTHY, health, null, List.of(old));
    String json = SubscriptionJson.toJson(status).toString();
    assertThat(json).doesNotContain("SECRET").contains("Retry-After: 5").contains("X-Webhook-Pass: ****");
  }
}
