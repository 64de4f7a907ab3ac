package io.webhookd;

import static java.util.Objects.requireNonNull;

import io.webhookd.internal.BatchReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One Kafka message of a delivered batch, as a webhook receives it (see {@link WebhookVerifier}).
 * Immutable and thread-safe.
 *
 * <p><b>Duplicates.</b> Delivery is at least once: after a failure or a restart a message can
 * arrive again, in the same or in another batch. {@code (topic, partition, offset)} identifies a
 * message: a receiver that must act once per message keeps the {@link #id()}s it processed (for
 * example under a unique constraint) or, since offsets of one partition arrive in order, the
 * highest offset processed per topic and partition.
 *
 * <p><b>Values.</b> A Kafka value that was JSON arrives as that JSON; other UTF-8 text as a JSON
 * string; anything else as a base64 string with {@code valueEncoding} {@code "base64"}; an empty
 * or absent value as {@code null}. {@link #value()} is the value's JSON text exactly as sent (hand
 * it to your JSON library); {@link #valueText()} and {@link #valueBytes()} decode it.
 *
 * @param topic the Kafka topic
 * @param partition the partition
 * @param offset the offset within the partition
 * @param timestamp the record's timestamp (milliseconds)
 * @param key the record key as text, the base64 of its bytes when {@code keyEncoding} is {@code
 *     "base64"}, or {@code null} when the record had no key
 * @param keyEncoding {@code "base64"} when the key was not UTF-8 text, else {@code null}
 * @param value the value's JSON text exactly as sent: {@code {"amount":120}}, {@code "some
 *     text"}, {@code null}, ...
 * @param valueEncoding {@code "base64"} when the value was neither JSON nor UTF-8 text, else
 *     {@code null}
 * @param headers the record's headers in order, each value as text ({@code null} for a header
 *     without a value; a value that was not UTF-8 arrives as base64)
 */
public record WebhookMessage(
    String topic,
    int partition,
    long offset,
    Instant timestamp,
    @Nullable String key,
    @Nullable String keyEncoding,
    String value,
    @Nullable String valueEncoding,
    Map<String, @Nullable String> headers) {

  public WebhookMessage {
    requireNonNull(topic, "topic");
    requireNonNull(timestamp, "timestamp");
    requireNonNull(value, "value");
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(headers, "headers")));
  }

  /**
   * {@code topic/partition/offset}: unique per Kafka message (topic names cannot hold a {@code
   * /}), the same on every redelivery. The key to deduplicate on.
   */
  public String id() {
    return topic + "/" + partition + "/" + offset;
  }

  /** The key's bytes: decoded from base64 when {@code keyEncoding} says so; {@code null} when none. */
  public byte @Nullable [] keyBytes() {
    if (key == null) {
      return null;
    }
    return "base64".equals(keyEncoding) ? Base64.getDecoder().decode(key) : key.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the record had no value (an empty or absent value is sent as JSON {@code null}). */
  public boolean valueIsNull() {
    return value.equals("null");
  }

  /**
   * The value decoded as a JSON string (a text payload, or the base64 of a binary one), or {@code
   * null} when the value is not a JSON string (an object, array, number, literal or null).
   */
  public @Nullable String valueText() {
    if (value.isEmpty() || value.charAt(0) != '"') {
      return null;
    }
    return BatchReader.unquote(value);
  }

  /**
   * The payload's bytes as they were in Kafka: decoded from base64 for a binary value, the UTF-8
   * of the text for a string value, the UTF-8 of the JSON text for any other JSON value; {@code
   * null} when the record had no value. (A Kafka value that was itself a JSON string, such as
   * {@code "abc"} with its quotes, comes back without them: the wire format cannot tell it from
   * the text {@code abc}.)
   */
  public byte @Nullable [] valueBytes() {
    if (valueIsNull()) {
      return null;
    }
    String text = valueText();
    if (text == null) {
      return value.getBytes(StandardCharsets.UTF_8);
    }
    return "base64".equals(valueEncoding) ? Base64.getDecoder().decode(text) : text.getBytes(StandardCharsets.UTF_8);
  }
}
