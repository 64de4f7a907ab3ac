package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MessageEncoderTest {
  private final MessageEncoder encoder = new MessageEncoder();
  private final ObjectMapper mapper = new ObjectMapper();

  private static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
    RecordHeaders h = new RecordHeaders();
    h.add("trace-id", "t-1".getBytes(StandardCharsets.UTF_8));
    return new ConsumerRecord<>("orders", 2, 42L, 1_790_000_000_123L, TimestampType.CREATE_TIME, 0, 0, key, value, h, Optional.empty());
  }

  private JsonNode encode(byte[] key, byte[] value) throws Exception {
    ConsumerRecord<byte[], byte[]> r = record(key, value);
    byte[] bytes = encoder.encode(r, MessageEncoder.classify(value));
    JsonNode parsed = mapper.readTree(bytes);
    // the tree a filter sees is the same object
    assertThat(MessageEncoder.tree(r, MessageEncoder.classify(value)).toString()).isEqualTo(parsed.toString());
    return parsed;
  }

  @Test
  @DisplayName("JSON values are embedded as JSON, with topic, partition, offset, timestamp, key and headers")
  void embedsJson() throws Exception {
    JsonNode m = encode("customer-7".getBytes(StandardCharsets.UTF_8), "{\"amount\": 120}".getBytes(StandardCharsets.UTF_8));
    assertThat(m.get("topic").asText()).isEqualTo("orders");
    assertThat(m.get("partition").asInt()).isEqualTo(2);
    assertThat(m.get("offset").asLong()).isEqualTo(42);
    assertThat(m.get("timestamp").asText()).isEqualTo("2026-09-21T14:13:20.123Z");
    assertThat(m.get("key").asText()).isEqualTo("customer-7");
    assertThat(m.get("value").get("amount").asInt()).isEqualTo(120);
    assertThat(m.get("headers").get("trace-id").asText()).isEqualTo("t-1");
  }

  @Test
  @DisplayName("text, binary, empty and invalid JSON values are strings, base64 or null")
  void encodesOtherPayloads() throws Exception {
    assertThat(encode(null, "plain \"text\"\u00e9".getBytes(StandardCharsets.UTF_8)).get("value").asText()).isEqualTo("plain \"text\"\u00e9");
    JsonNode bin = encode(null, new byte[] {(byte) 0xff, 0, 1});
    assertThat(bin.get("value_encoding").asText()).isEqualTo("base64");
    assertThat(bin.get("value").asText()).isEqualTo("/wAB");
    assertThat(encode(null, new byte[0]).get("value").isNull()).isTrue();
    assertThat(encode(null, null).get("value").isNull()).isTrue();
    assertThat(encode(null, "{\"a\":1} trailing".getBytes(StandardCharsets.UTF_8)).get("value").asText()).isEqualTo("{\"a\":1} trailing");
    assertThat(encode(null, "\"a string\"".getBytes(StandardCharsets.UTF_8)).get("value").asText()).isEqualTo("a string");
    JsonNode binKey = encode(new byte[] {(byte) 0xc3}, "1".getBytes(StandardCharsets.UTF_8));
    assertThat(binKey.get("key_encoding").asText()).isEqualTo("base64");
  }

  @Test
  @DisplayName("parsing once for filters classifies exactly as the streaming check does")
  void parseOnceAgreesWithClassify() {
    for (String v : new String[] {"{\"a\":1}", " [1,2] ", "\"s\"", "12", "true", "null", "{\"a\":1} x", "{", "plain", ""}) {
      byte[] b = v.getBytes(StandardCharsets.UTF_8);
      assertThat(MessageEncoder.classify(b, MessageEncoder.parseJson(b))).as(v).isEqualTo(MessageEncoder.classify(b));
    }
    byte[] bin = {(byte) 0xff, 0};
    assertThat(MessageEncoder.classify(bin, MessageEncoder.parseJson(bin))).isEqualTo(MessageEncoder.ValueKind.BINARY);
  }

  @Test
  @DisplayName("a batch body is the wire format's envelope around the messages")
  void buildsBatchBody() throws Exception {
    byte[] a = encoder.encode(record(null, "1".getBytes(StandardCharsets.UTF_8)), MessageEncoder.ValueKind.JSON);
    byte[] b = encoder.encode(record(null, "2".getBytes(StandardCharsets.UTF_8)), MessageEncoder.ValueKind.JSON);
    byte[] body = encoder.batchBody("sub-1", "batch-1", List.of(a, b), a.length + b.length, 2);
    JsonNode n = mapper.readTree(body);
    assertThat(n.get("subscription_id").asText()).isEqualTo("sub-1");
    assertThat(n.get("batch_id").asText()).isEqualTo("batch-1");
    assertThat(n.get("messages")).hasSize(2);
    assertThat(n.get("messages").get(1).get("value").asInt()).isEqualTo(2);
  }

  @Test
  @DisplayName("JMESPath filters are ANDed over the message object")
  void filtersAreAnded() throws Exception {
    JsonNode m = encode(null, "{\"amount\": 120, \"region\": \"eu\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(Jmes.all(List.of("value.amount > `100`", "value.region == 'eu'")).test(m)).isTrue();
    assertThat(Jmes.all(List.of("value.amount > `100`", "value.region == 'us'")).test(m)).isFalse();
    assertThat(Jmes.all(List.of("topic == 'orders'", "headers.\"trace-id\" == 't-1'")).test(m)).isTrue();
    assertThat(Jmes.all(List.of()).test(m)).isTrue();
  }
}
