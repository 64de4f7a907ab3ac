package io.webhookd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.WebhookVerificationException.Reason;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {

  /**
   * The fixed vector of the Standard Webhooks reference libraries' tests: repository
   * standard-webhooks/standard-webhooks, libraries/java/src/test/java/com/standardwebhooks/
   * WebhookTest.java ({@code verifyWebhookSignWorks}) and TestScenario.java ({@code validSigned}),
   * and libraries/python/tests/test_webhooks.py ({@code test_sign_function},
   * {@code test_invalid_signature_raises_error}, {@code test_multi_sig_payload_is_valid}).
   */
  @Nested
  @DisplayName("the Standard Webhooks reference vectors")
  class StandardWebhooksVectors {
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    static final long TIMESTAMP = 1614265330L;
    static final byte[] PAYLOAD = "{\"test\": 2432232314}".getBytes(UTF_8);
    static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    static final String DECOY = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

    final WebhookVerifier verifier = WebhookVerifier.builder().secret(SECRET).clock(at(TIMESTAMP)).build();

    Map<String, List<String>> headers(String signature) {
      return Map.of("webhook-id", List.of(ID), "webhook-timestamp", List.of(Long.toString(TIMESTAMP)), "webhook-signature", List.of(signature));
    }

    @Test
    @DisplayName("the published signature verifies")
    void publishedSignatureVerifies() {
      assertThat(verifier.verifySignature(headers(SIGNATURE), PAYLOAD)).isEqualTo(ID);
    }

    @Test
    @DisplayName("a signature one character off does not")
    void alteredSignatureFails() {
      assertReason(() -> verifier.verifySignature(headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="), PAYLOAD), Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    @DisplayName("among several signatures and versions, the one valid v1 signature is found")
    void multipleSignatures() {
      String header = String.join(" ", "v1," + DECOY, "v2," + DECOY, SIGNATURE, "v1," + DECOY);
      assertThat(verifier.verifySignature(headers(header), PAYLOAD)).isEqualTo(ID);
    }

    @Test
    @DisplayName("another version, a malformed entry and a non-base64 signature are refused")
    void otherVersionsAndMalformedEntriesFail() {
      assertReason(() -> verifier.verifySignature(headers("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), PAYLOAD), Reason.NO_MATCHING_SIGNATURE);
      assertReason(() -> verifier.verifySignature(headers("invalid_signature"), PAYLOAD), Reason.NO_MATCHING_SIGNATURE);
      assertReason(() -> verifier.verifySignature(headers("v1,invalid_signature"), PAYLOAD), Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    @DisplayName("the body must be the exact bytes signed")
    void otherBodyFails() {
      assertReason(() -> verifier.verifySignature(headers(SIGNATURE), "{\"test\":2432232314}".getBytes(UTF_8)), Reason.NO_MATCHING_SIGNATURE);
    }

    @Test
    @DisplayName("header names match in any case")
    void mixedCaseHeaders() {
      Map<String, List<String>> mixed = Map.of(
          "Webhook-Id", List.of(ID), "WEBHOOK-TIMESTAMP", List.of(Long.toString(TIMESTAMP)), "webhook-SIGNATURE", List.of(SIGNATURE));
      assertThat(verifier.verifySignature(mixed, PAYLOAD)).isEqualTo(ID);
    }

    @Test
    @DisplayName("a missing id, timestamp or signature header is refused, naming the header")
    void missingHeaders() {
      for (String name : List.of("webhook-id", "webhook-timestamp", "webhook-signature")) {
        Map<String, List<String>> h = new HashMap<>(headers(SIGNATURE));
        h.remove(name);
        assertThatThrownBy(() -> verifier.verifySignature(h, PAYLOAD))
            .isInstanceOfSatisfying(WebhookVerificationException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MISSING_HEADER))
            .hasMessageContaining(name);
      }
    }

    @Test
    @DisplayName("a timestamp that is not a number is refused")
    void malformedTimestamp() {
      Map<String, List<String>> h = new HashMap<>(headers(SIGNATURE));
      h.put("webhook-timestamp", List.of("hello"));
      assertReason(() -> verifier.verifySignature(h, PAYLOAD), Reason.MALFORMED_TIMESTAMP);
    }

    @Test
    @DisplayName("a timestamp more than 5 minutes (the default tolerance) in the past or the future is refused; 5 minutes is accepted")
    void staleAndFutureTimestamps() {
      Duration fiveMinutes = Duration.ofMinutes(5);
      WebhookVerifier late = WebhookVerifier.builder().secret(SECRET).clock(at(TIMESTAMP + fiveMinutes.toSeconds() + 1)).build();
      WebhookVerifier early = WebhookVerifier.builder().secret(SECRET).clock(at(TIMESTAMP - fiveMinutes.toSeconds() - 1)).build();
      WebhookVerifier justInTime = WebhookVerifier.builder().secret(SECRET).clock(at(TIMESTAMP + fiveMinutes.toSeconds())).build();

      assertReason(() -> late.verifySignature(headers(SIGNATURE), PAYLOAD), Reason.TIMESTAMP_OUT_OF_TOLERANCE);
      assertReason(() -> early.verifySignature(headers(SIGNATURE), PAYLOAD), Reason.TIMESTAMP_OUT_OF_TOLERANCE);
      assertThat(justInTime.verifySignature(headers(SIGNATURE), PAYLOAD)).isEqualTo(ID);
    }
  }

  @Test
  @DisplayName("the tolerance is configurable")
  void configurableTolerance() {
    String secret = WebhookVerifier.newSecret();
    long ts = 1_800_000_000L;
    Map<String, List<String>> h = signed(secret, "msg_1", ts, "{}".getBytes(UTF_8));
    WebhookVerifier tight = WebhookVerifier.builder().secret(secret).tolerance(Duration.ofSeconds(10)).clock(at(ts + 11)).build();
    WebhookVerifier loose = WebhookVerifier.builder().secret(secret).tolerance(Duration.ofHours(1)).clock(at(ts + 3000)).build();

    assertReason(() -> tight.verifySignature(h, "{}".getBytes(UTF_8)), Reason.TIMESTAMP_OUT_OF_TOLERANCE);
    assertThat(loose.verifySignature(h, "{}".getBytes(UTF_8))).isEqualTo("msg_1");
    assertThatThrownBy(() -> WebhookVerifier.builder().tolerance(Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tolerance must be at least 1 second");
  }

  @Test
  @DisplayName("rotation: a signature of any of the verifier's secrets is accepted, of no other")
  void severalSecrets() {
    String oldSecret = WebhookVerifier.newSecret();
    String newSecret = WebhookVerifier.newSecret();
    long now = Instant.now().getEpochSecond();
    byte[] body = "{}".getBytes(UTF_8);
    WebhookVerifier verifier = WebhookVerifier.of(oldSecret, newSecret);

    assertThat(verifier.verifySignature(signed(oldSecret, "a", now, body), body)).isEqualTo("a");
    assertThat(verifier.verifySignature(signed(newSecret, "b", now, body), body)).isEqualTo("b");
    assertReason(() -> verifier.verifySignature(signed(WebhookVerifier.newSecret(), "c", now, body), body), Reason.NO_MATCHING_SIGNATURE);
  }

  @Test
  @DisplayName("headers can be looked up with a function (a servlet's getHeader, the JDK's Headers.getFirst)")
  void headerLookupFunction() {
    String secret = WebhookVerifier.newSecret();
    byte[] body = batchBody();
    Map<String, String> caseInsensitive = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    signed(secret, "batch-9", Instant.now().getEpochSecond(), body).forEach((k, v) -> caseInsensitive.put(k.toUpperCase(), v.get(0)));

    WebhookBatch batch = WebhookVerifier.of(secret).verify(caseInsensitive::get, body);

    assertThat(batch.batchId()).isEqualTo("batch-9");
    assertThat(batch.messages()).extracting(WebhookMessage::id).containsExactly("orders/0/41", "orders/0/42");
  }

  @Test
  @DisplayName("a signed body that is not a webhookd batch is refused with 400, after the signature was checked")
  void malformedBody() {
    String secret = WebhookVerifier.newSecret();
    byte[] body = "{\"test\": 2432232314}".getBytes(UTF_8);
    Map<String, List<String>> h = signed(secret, "x", Instant.now().getEpochSecond(), body);

    assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(h, body))
        .isInstanceOfSatisfying(WebhookVerificationException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.MALFORMED_BODY);
          assertThat(e.reason().httpStatus()).isEqualTo(400);
        })
        .hasMessageContaining("subscription_id, batch_id, messages");
    assertThat(Reason.NO_MATCHING_SIGNATURE.httpStatus()).isEqualTo(401);
  }

  @Test
  @DisplayName("a malformed secret is refused with a message that does not repeat it")
  void badSecrets() {
    for (String bad : List.of("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!!", "whsec_AAAA")) {
      assertThatThrownBy(() -> WebhookVerifier.of(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("secret must")
          .hasMessageNotContaining(bad);
    }
    assertThatThrownBy(() -> WebhookVerifier.builder().build()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  @DisplayName("newSecret gives whsec_ and the base64 of 32 random bytes, different each time")
  void newSecrets() {
    String a = WebhookVerifier.newSecret();
    assertThat(a).startsWith("whsec_");
    assertThat(Base64.getDecoder().decode(a.substring(6))).hasSize(32);
    assertThat(WebhookVerifier.newSecret()).isNotEqualTo(a);
  }

  @Test
  @DisplayName("parse reads the batch: exact JSON values (no rounding), text, base64 and null values, keys and headers; unknown fields are ignored")
  void parsesEveryKindOfValue() {
    WebhookBatch b = WebhookBatch.parse(batchBody());

    assertThat(b.subscriptionId()).isEqualTo("s-1");
    assertThat(b.messages()).hasSize(2);
    WebhookMessage json = b.messages().get(0);
    assertThat(json.topic()).isEqualTo("orders");
    assertThat(json.partition()).isZero();
    assertThat(json.offset()).isEqualTo(41);
    assertThat(json.timestamp()).isEqualTo(Instant.parse("2026-11-29T10:15:30.123Z"));
    assertThat(json.key()).isEqualTo("customer-7");
    assertThat(json.keyBytes()).isEqualTo("customer-7".getBytes(UTF_8));
    assertThat(json.value()).isEqualTo("{\"amount\": 12345678901234567890.123456789, \"s\": \"a\\\"b\"}");
    assertThat(json.valueText()).isNull();
    assertThat(json.valueBytes()).isEqualTo(json.value().getBytes(UTF_8));
    assertThat(json.headers()).containsEntry("trace-id", "t-\u00e9\n").containsEntry("empty", null);
    WebhookMessage bin = b.messages().get(1);
    assertThat(bin.key()).isNull();
    assertThat(bin.keyBytes()).isNull();
    assertThat(bin.valueEncoding()).isEqualTo("base64");
    assertThat(bin.valueText()).isEqualTo("/wAB");
    assertThat(bin.valueBytes()).containsExactly(0xff, 0, 1);
    assertThat(bin.headers()).isEmpty();

    WebhookMessage text = WebhookBatch.parse(("{\"subscription_id\":\"s\",\"batch_id\":\"b\",\"messages\":[{\"topic\":\"t\",\"partition\":3,"
        + "\"offset\":7,\"timestamp\":\"2026-01-01T00:00:00Z\",\"key\":\"\\u00ff\",\"key_encoding\":\"base64\",\"value\":\"line\\nnext \\ud83d\\ude00\"},"
        + "{\"topic\":\"t\",\"partition\":3,\"offset\":8,\"timestamp\":\"2026-01-01T00:00:00Z\",\"key\":null,\"value\":null,\"headers\":{}}]}").getBytes(UTF_8))
        .messages().get(0);
    assertThat(text.valueText()).isEqualTo("line\nnext \uD83D\uDE00");
    assertThat(text.valueBytes()).isEqualTo("line\nnext \uD83D\uDE00".getBytes(UTF_8));
    assertThat(text.id()).isEqualTo("t/3/7");
  }

  @Test
  @DisplayName("parse says what is wrong with a body that is not a batch")
  void parseErrors() {
    assertParseError("not json", "not one JSON document");
    assertParseError("[]", "must be a JSON object");
    assertParseError("{\"batch_id\":\"b\"}", "missing: subscription_id, messages");
    assertParseError("{\"subscription_id\":\"s\",\"batch_id\":\"b\",\"messages\":[{\"topic\":\"t\",\"partition\":\"x\"}]}",
        "messages[0].partition must be an integer, was \"x\"");
    assertParseError("{\"subscription_id\":\"s\",\"batch_id\":\"b\",\"messages\":[{\"topic\":\"t\",\"partition\":1,\"offset\":2}]}",
        "messages[0] must have topic, partition, offset and timestamp; missing: timestamp");
  }

  @Test
  @DisplayName("needs nothing but the JDK: verifies and parses in a class loader that holds only webhookd-core's classes")
  void needsOnlyTheJdk() throws Exception {
    URL coreClasses = WebhookVerifier.class.getProtectionDomain().getCodeSource().getLocation();
    String secret = WebhookVerifier.newSecret();
    byte[] body = batchBody();
    Map<String, List<String>> headers = signed(secret, "batch-1", Instant.now().getEpochSecond(), body);

    try (URLClassLoader isolated = new URLClassLoader(new URL[] {coreClasses}, ClassLoader.getPlatformClassLoader())) {
      Class<?> verifierClass = isolated.loadClass(WebhookVerifier.class.getName());
      assertThat(verifierClass.getClassLoader()).isSameAs(isolated);
      assertThat(isolated.getResource("org/apache/kafka/clients/consumer/KafkaConsumer.class")).isNull();
      assertThat(isolated.getResource("com/fasterxml/jackson/core/JsonParser.class")).isNull();
      Object verifier = verifierClass.getMethod("of", String.class, String[].class).invoke(null, secret, new String[0]);
      Object batch = verifierClass.getMethod("verify", Map.class, byte[].class).invoke(verifier, headers, body);
      List<?> messages = (List<?>) batch.getClass().getMethod("messages").invoke(batch);
      assertThat(messages).hasSize(2);
      assertThat(messages.get(0).getClass().getMethod("id").invoke(messages.get(0))).isEqualTo("orders/0/41");
    }
  }

  static byte[] batchBody() {
    return ("{\"subscription_id\":\"s-1\",\"batch_id\":\"batch-9\",\"future_field\":{\"x\":[1,2]},\"messages\":["
        + "{\"topic\":\"orders\",\"partition\":0,\"offset\":41,\"timestamp\":\"2026-11-29T10:15:30.123Z\",\"key\":\"customer-7\","
        + "\"value\":{\"amount\": 12345678901234567890.123456789, \"s\": \"a\\\"b\"},\"headers\":{\"trace-id\":\"t-\u00e9\\n\",\"empty\":null}},"
        + " {\"topic\":\"orders\",\"partition\":0,\"offset\":42,\"timestamp\":\"2026-11-29T10:15:31Z\",\"key\":null,"
        + "\"value\":\"/wAB\",\"value_encoding\":\"base64\",\"headers\":{}}]}").getBytes(UTF_8);
  }

  /** Signs as the specification describes, with code of this test's own. */
  static Map<String, List<String>> signed(String secret, String id, long ts, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
      mac.update((id + "." + ts + ".").getBytes(UTF_8));
      String sig = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
      return Map.of("webhook-id", List.of(id), "webhook-timestamp", List.of(Long.toString(ts)), "webhook-signature", List.of(sig));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Clock at(long epochSecond) {
    return Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
  }

  static void assertReason(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(WebhookVerificationException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  static void assertParseError(String body, String message) {
    assertThatThrownBy(() -> WebhookBatch.parse(body.getBytes(UTF_8)))
        .isInstanceOfSatisfying(WebhookVerificationException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_BODY))
        .hasMessageContaining(message);
  }
}
