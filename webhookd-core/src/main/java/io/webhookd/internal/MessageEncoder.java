package io.webhookd.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;

/**
 * Turns Kafka records into the wire format's message objects (DESIGN.md "Wire format"), and
 * batches of them into request bodies. A value that is valid JSON is copied as it is, without a
 * parse-to-tree-and-back; a tree is built only when a filter needs one. Not thread-safe: one per
 * consumer thread.
 */
public final class MessageEncoder {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonStringEncoder QUOTER = JsonStringEncoder.getInstance();
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  private long lastMillis = Long.MIN_VALUE;
  private byte[] lastTimestamp = new byte[0];

  /** The kind of payload a record value holds. */
  enum ValueKind {
    NULL,
    JSON,
    TEXT,
    BINARY
  }

  /** Classifies a value: empty or absent is NULL, then JSON, then UTF-8 text, else binary. */
  static ValueKind classify(byte @Nullable [] value) {
    if (value == null || value.length == 0) {
      return ValueKind.NULL;
    }
    if (JsonBytes.isJson(value)) {
      return ValueKind.JSON;
    }
    return JsonBytes.isUtf8(value) ? ValueKind.TEXT : ValueKind.BINARY;
  }

  private static final com.fasterxml.jackson.databind.ObjectReader STRICT_READER =
      MAPPER.reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * The value parsed as JSON, or {@code null} when it is not exactly one JSON value: used when a
   * filter needs the tree anyway.
   */
  static @Nullable JsonNode parseJson(byte @Nullable [] value) {
    if (value == null || value.length == 0 || !JsonBytes.isJson(value)) {
      return null;
    }
    try {
      return STRICT_READER.readTree(value);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The kind of a value whose JSON parse (by {@link #parseJson}) gave {@code parsed}. */
  static ValueKind classify(byte @Nullable [] value, @Nullable JsonNode parsed) {
    if (value == null || value.length == 0) {
      return ValueKind.NULL;
    }
    if (parsed != null) {
      return ValueKind.JSON;
    }
    return JsonBytes.isUtf8(value) ? ValueKind.TEXT : ValueKind.BINARY;
  }

  /**
   * The message object a filter sees: topic, partition, offset, timestamp, key, value (parsed
   * JSON, a string, or base64), headers.
   */
  static ObjectNode tree(ConsumerRecord<byte[], byte[]> r, ValueKind kind) {
    return tree(r, kind, null);
  }

  /** As {@link #tree(ConsumerRecord, ValueKind)}, reusing an already parsed JSON value. */
  static ObjectNode tree(ConsumerRecord<byte[], byte[]> r, ValueKind kind, @Nullable JsonNode parsed) {
    return tree(r, kind, parsed, null);
  }

  /**
   * As {@link #tree(ConsumerRecord, ValueKind, JsonNode)}, with only the top-level fields that
   * {@code only} names (all when it is {@code null}); {@code parsed} is used as the JSON value
   * as it is (it may be a projection).
   */
  static ObjectNode tree(ConsumerRecord<byte[], byte[]> r, ValueKind kind, @Nullable JsonNode parsed, @Nullable FieldPaths only) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    if (wants(only, "topic")) {
      n.put("topic", r.topic());
    }
    if (wants(only, "partition")) {
      n.put("partition", r.partition());
    }
    if (wants(only, "offset")) {
      n.put("offset", r.offset());
    }
    if (wants(only, "timestamp")) {
      n.put("timestamp", TS.format(Instant.ofEpochMilli(r.timestamp())));
    }
    if (wants(only, "key") || wants(only, "key_encoding")) {
      byte[] key = r.key();
      if (key == null) {
        n.putNull("key");
      } else if (JsonBytes.isUtf8(key)) {
        n.put("key", new String(key, StandardCharsets.UTF_8));
      } else {
        n.put("key", Base64.getEncoder().encodeToString(key));
        n.put("key_encoding", "base64");
      }
    }
    if (wants(only, "value") || wants(only, "value_encoding")) {
      switch (kind) {
        case NULL -> n.putNull("value");
        case JSON -> {
          if (parsed != null) {
            n.set("value", parsed);
          } else {
            try {
              n.set("value", MAPPER.readTree(r.value()));
            } catch (IOException e) {
              n.put("value", new String(r.value(), StandardCharsets.UTF_8));
            }
          }
        }
        case TEXT -> n.put("value", new String(r.value(), StandardCharsets.UTF_8));
        case BINARY -> {
          n.put("value", Base64.getEncoder().encodeToString(r.value()));
          n.put("value_encoding", "base64");
        }
      }
    }
    if (wants(only, "headers")) {
      ObjectNode headers = n.putObject("headers");
      for (Header h : r.headers()) {
        headers.put(h.key(), h.value() == null ? null : headerValue(h.value()));
      }
    }
    return n;
  }

  private static boolean wants(@Nullable FieldPaths only, String field) {
    return only == null || only.child(field) != null;
  }

  private static String headerValue(byte[] v) {
    return JsonBytes.isUtf8(v) ? new String(v, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(v);
  }

  /** The message object's JSON bytes, without building a tree. */
  byte[] encode(ConsumerRecord<byte[], byte[]> r, ValueKind kind) {
    pos = 0;
    put(T_TOPIC);
    put(topicBytes(r.topic()));
    put(T_PARTITION);
    putLong(r.partition());
    put(T_OFFSET);
    putLong(r.offset());
    put(T_TIMESTAMP);
    put(timestamp(r.timestamp()));
    put(T_KEY);
    byte[] key = r.key();
    if (key == null) {
      put(NULL);
    } else if (!putText(key)) {
      putQuoted(Base64.getEncoder().encodeToString(key));
      put(T_KEY_BASE64);
    }
    put(T_VALUE);
    switch (kind) {
      case NULL -> put(NULL);
      case JSON -> put(r.value());
      case TEXT -> putText(r.value());
      case BINARY -> {
        putQuoted(Base64.getEncoder().encodeToString(r.value()));
        put(T_VALUE_BASE64);
      }
    }
    put(T_HEADERS);
    boolean first = true;
    for (Header h : r.headers()) {
      if (!first) {
        put((byte) ',');
      }
      first = false;
      putQuoted(h.key());
      put((byte) ':');
      byte[] v = h.value();
      if (v == null) {
        put(NULL);
      } else if (!putText(v)) {
        putQuoted(Base64.getEncoder().encodeToString(v));
      }
    }
    put(T_END);
    return Arrays.copyOf(buf, pos);
  }

  private static final byte[] T_TOPIC = ascii("{\"topic\":");
  private static final byte[] T_PARTITION = ascii(",\"partition\":");
  private static final byte[] T_OFFSET = ascii(",\"offset\":");
  private static final byte[] T_TIMESTAMP = ascii(",\"timestamp\":\"");
  private static final byte[] T_KEY = ascii("\",\"key\":");
  private static final byte[] T_KEY_BASE64 = ascii(",\"key_encoding\":\"base64\"");
  private static final byte[] T_VALUE = ascii(",\"value\":");
  private static final byte[] T_VALUE_BASE64 = ascii(",\"value_encoding\":\"base64\"");
  private static final byte[] T_HEADERS = ascii(",\"headers\":{");
  private static final byte[] T_END = ascii("}}");

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private byte[] buf = new byte[4096];
  private int pos;
  private final java.util.Map<String, byte[]> topics = new java.util.HashMap<>();

  private byte[] topicBytes(String topic) {
    byte[] b = topics.get(topic);
    if (b == null) {
      b = ("\"" + new String(QUOTER.quoteAsString(topic)) + "\"").getBytes(StandardCharsets.UTF_8);
      if (topics.size() < 1000) {
        topics.put(topic, b);
      }
    }
    return b;
  }

  private void ensure(int more) {
    if (pos + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
    }
  }

  private void put(byte[] a) {
    ensure(a.length);
    System.arraycopy(a, 0, buf, pos, a.length);
    pos += a.length;
  }

  private void put(byte b) {
    ensure(1);
    buf[pos++] = b;
  }

  private void putLong(long v) {
    if (v < 0) {
      put(ascii(Long.toString(v)));
      return;
    }
    ensure(20);
    if (v == 0) {
      buf[pos++] = '0';
      return;
    }
    int start = pos;
    while (v > 0) {
      buf[pos++] = (byte) ('0' + (v % 10));
      v /= 10;
    }
    for (int i = start, j = pos - 1; i < j; i++, j--) {
      byte t = buf[i];
      buf[i] = buf[j];
      buf[j] = t;
    }
  }

  /** Writes UTF-8 bytes as a JSON string; false (nothing written) when they are not UTF-8. */
  private boolean putText(byte[] utf8) {
    if (JsonBytes.isPlainAscii(utf8)) {
      ensure(utf8.length + 2);
      buf[pos++] = '"';
      System.arraycopy(utf8, 0, buf, pos, utf8.length);
      pos += utf8.length;
      buf[pos++] = '"';
      return true;
    }
    if (!JsonBytes.isUtf8(utf8)) {
      return false;
    }
    putQuoted(new String(utf8, StandardCharsets.UTF_8));
    return true;
  }

  private void putQuoted(String s) {
    put((byte) '"');
    put(QUOTER.quoteAsUTF8(s));
    put((byte) '"');
  }

  /** Records of one poll mostly share their millisecond: format each millisecond once. */
  private byte[] timestamp(long millis) {
    if (millis != lastMillis) {
      lastTimestamp = ascii(TS.format(Instant.ofEpochMilli(millis)));
      lastMillis = millis;
    }
    return lastTimestamp;
  }

  /** A batch body: {@code {"subscription_id":…,"batch_id":…,"messages":[…]}}. */
  byte[] batchBody(String subscriptionId, String batchId, Iterable<byte[]> messages, int totalMessageBytes, int count) {
    byte[] head =
        ("{\"subscription_id\":\"" + subscriptionId + "\",\"batch_id\":\"" + batchId + "\",\"messages\":[")
            .getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + totalMessageBytes + Math.max(0, count - 1) + 2];
    System.arraycopy(head, 0, body, 0, head.length);
    int pos = head.length;
    boolean first = true;
    for (byte[] m : messages) {
      if (!first) {
        body[pos++] = ',';
      }
      first = false;
      System.arraycopy(m, 0, body, pos, m.length);
      pos += m.length;
    }
    body[pos++] = ']';
    body[pos++] = '}';
    return body;
  }
}
