package io.webhookd.testkit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One message of a batch received by a {@link WebhookReceiver}, as the wire format has it.
 * Immutable.
 *
 * @param topic the Kafka topic
 * @param partition the partition
 * @param offset the offset
 * @param key the key, or {@code null} when the message had none
 * @param value the value: the payload's JSON, a JSON string, or (with {@code valueEncoding}
 *     {@code "base64"}) a base64 string
 * @param valueEncoding {@code "base64"} when the value is not text, else {@code null}
 * @param headers the Kafka headers
 */
public record ReceivedMessage(
    String topic,
    int partition,
    long offset,
    @Nullable String key,
    JsonNode value,
    @Nullable String valueEncoding,
    Map<String, String> headers) {

  public ReceivedMessage {
    requireNonNull(topic, "topic");
    requireNonNull(value, "value");
    headers = Map.copyOf(headers);
  }

  /** {@code topic/partition/offset}: what identifies a Kafka message. */
  public String id() {
    return id(topic, partition, offset);
  }

  /** {@code topic/partition/offset}. */
  public static String id(String topic, int partition, long offset) {
    return topic + "/" + partition + "/" + offset;
  }

  /** The payload's bytes: decoded from base64, the text of a string value, else the JSON. */
  public byte[] valueBytes() {
    if ("base64".equals(valueEncoding)) {
      return Base64.getDecoder().decode(value.asText());
    }
    return (value.isTextual() ? value.asText() : value.toString()).getBytes(StandardCharsets.UTF_8);
  }
}
