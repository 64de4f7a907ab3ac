package io.webhookd.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.WebhookBatch;
import io.webhookd.WebhookMessage;
import io.webhookd.WebhookVerificationException;
import io.webhookd.WebhookVerifier;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The public verifier against what the engine itself writes and signs (MessageEncoder, Signer). */
class WebhookVerifierSignerTest {

  private static ConsumerRecord<byte[], byte[]> record(long offset, byte[] key, byte[] value, RecordHeaders headers) {
    return new ConsumerRecord<>("orders", 1, offset, 1_790_000_000_123L, TimestampType.CREATE_TIME, 0, 0, key, value, headers, Optional.empty());
  }

  @Test
  @DisplayName("a body the engine encoded and signed verifies, and every message reads back as it was in Kafka")
  void verifiesTheEnginesSignatureAndReadsItsEncoding() {
    MessageEncoder encoder = new MessageEncoder();
    RecordHeaders h = new RecordHeaders();
    h.add("trace-id", "t-1".getBytes(UTF_8));
    h.add("binary", new byte[] {(byte) 0xfe});
    h.add("none", null);
    byte[] json = "{\"amount\": 120.50}".getBytes(UTF_8);
    byte[] text = "plain \"text\" \u00e9".getBytes(UTF_8);
    byte[] binary = {(byte) 0xff, 0, 1};
    List<ConsumerRecord<byte[], byte[]>> records = List.of(
        record(10, "customer-7".getBytes(UTF_8), json, h),
        record(11, null, text, new RecordHeaders()),
        record(12, new byte[] {(byte) 0xc3}, binary, new RecordHeaders()),
        record(13, null, null, new RecordHeaders()));
    List<byte[]> encoded = records.stream().map(r -> encoder.encode(r, MessageEncoder.classify(r.value()))).toList();
    byte[] body = encoder.batchBody("sub-1", "batch-1", encoded, encoded.stream().mapToInt(b -> b.length).sum(), encoded.size());
    String secret = Signer.newSecret();
    long now = Instant.now().getEpochSecond();
    Map<String, List<String>> headers = Map.of(
        "webhook-id", List.of("batch-1"),
        "webhook-timestamp", List.of(Long.toString(now)),
        "webhook-signature", List.of(new Signer(secret).sign("batch-1", now, body)));

    WebhookBatch batch = WebhookVerifier.of(secret).verify(headers, body);

    assertThat(batch.subscriptionId()).isEqualTo("sub-1");
    assertThat(batch.batchId()).isEqualTo("batch-1");
    assertThat(batch.messages()).extracting(WebhookMessage::id).containsExactly("orders/1/10", "orders/1/11", "orders/1/12", "orders/1/13");
    WebhookMessage m0 = batch.messages().get(0);
    assertThat(m0.timestamp()).isEqualTo(Instant.ofEpochMilli(1_790_000_000_123L));
    assertThat(m0.key()).isEqualTo("customer-7");
    assertThat(m0.value()).isEqualTo("{\"amount\": 120.50}");
    assertThat(m0.valueBytes()).isEqualTo(json);
    assertThat(m0.headers()).containsEntry("trace-id", "t-1").containsEntry("binary", "/g==").containsEntry("none", null);
    assertThat(batch.messages().get(1).valueBytes()).isEqualTo(text);
    assertThat(batch.messages().get(1).valueText()).isEqualTo("plain \"text\" \u00e9");
    assertThat(batch.messages().get(2).valueBytes()).isEqualTo(binary);
    assertThat(batch.messages().get(2).keyBytes()).containsExactly(0xc3);
    assertThat(batch.messages().get(3).valueIsNull()).isTrue();
    assertThat(batch.messages().get(3).valueBytes()).isNull();
  }

  @Test
  @DisplayName("a signature the engine made with another secret, or over another body, is refused")
  void refusesOtherSecretsAndBodies() {
    byte[] body = "{\"subscription_id\":\"s\",\"batch_id\":\"b\",\"messages\":[]}".getBytes(UTF_8);
    long now = Instant.now().getEpochSecond();
    String secret = Signer.newSecret();
    String signature = new Signer(Signer.newSecret()).sign("b", now, body);
    Map<String, List<String>> headers = Map.of(
        "webhook-id", List.of("b"), "webhook-timestamp", List.of(Long.toString(now)), "webhook-signature", List.of(signature));

    assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(headers, body))
        .isInstanceOfSatisfying(WebhookVerificationException.class,
            e -> assertThat(e.reason()).isEqualTo(WebhookVerificationException.Reason.NO_MATCHING_SIGNATURE));
    String own = new Signer(secret).sign("b", now, body);
    Map<String, List<String>> tampered = Map.of(
        "webhook-id", List.of("b"), "webhook-timestamp", List.of(Long.toString(now)), "webhook-signature", List.of(own));
    assertThat(WebhookVerifier.of(secret).verify(tampered, body).messages()).isEmpty();
    assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(tampered, "{\"subscription_id\":\"s\",\"batch_id\":\"c\",\"messages\":[]}".getBytes(UTF_8)))
        .isInstanceOf(WebhookVerificationException.class);
  }
}
