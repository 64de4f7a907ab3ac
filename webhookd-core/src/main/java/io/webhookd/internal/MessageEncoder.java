package io.webhookd.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxNestingDepth(500).maxStringLength(Integer.MAX_VALUE / 2).build())
          .build();
  private static final JsonStringEncoder QUOTER = JsonStringEncoder.getInstance();
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  private final ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
  private long lastMillis = Long.MIN_VALUE;
  private String lastTimestamp = "";

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
    if (isJson(value)) {
      return ValueKind.JSON;
    }
    return isUtf8(value) ? ValueKind.TEXT : ValueKind.BINARY;
  }

  private static final com.fasterxml.jackson.databind.ObjectReader STRICT_READER =
      MAPPER.reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Cheap pre-check: JSON values start (after whitespace) with one of these bytes. */
  private static boolean mayBeJson(byte[] value) {
    int i = 0;
    while (i < value.length && (value[i] == ' ' || value[i] == '\n' || value[i] == '\r' || value[i] == '\t')) {
      i++;
    }
    if (i == value.length) {
      return false;
    }
    byte c = value[i];
    return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n';
  }

  /**
   * The value parsed as JSON, or {@code null} when it is not exactly one JSON value: used when a
   * filter needs the tree anyway, so the value is parsed once.
   */
  static @Nullable JsonNode parseJson(byte @Nullable [] value) {
    if (value == null || value.length == 0 || !mayBeJson(value)) {
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
    return isUtf8(value) ? ValueKind.TEXT : ValueKind.BINARY;
  }

  /** Whether the bytes are exactly one JSON value (whitespace around it allowed), in UTF-8. */
  static boolean isJson(byte[] value) {
    if (!mayBeJson(value)) {
      return false;
    }
    try (JsonParser p = FACTORY.createParser(value)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return false;
      }
      p.skipChildren();
      if (t == JsonToken.VALUE_STRING) {
        p.getText(); // forces UTF-8 validation of the string
      }
      return p.nextToken() == null;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
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
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("topic", r.topic());
    n.put("partition", r.partition());
    n.put("offset", r.offset());
    n.put("timestamp", TS.format(Instant.ofEpochMilli(r.timestamp())));
    byte[] key = r.key();
    if (key == null) {
      n.putNull("key");
    } else if (isUtf8(key)) {
      n.put("key", new String(key, StandardCharsets.UTF_8));
    } else {
      n.put("key", Base64.getEncoder().encodeToString(key));
      n.put("key_encoding", "base64");
    }
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
    ObjectNode headers = n.putObject("headers");
    for (Header h : r.headers()) {
      headers.put(h.key(), h.value() == null ? null : headerValue(h.value()));
    }
    return n;
  }

  private static String headerValue(byte[] v) {
    return isUtf8(v) ? new String(v, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(v);
  }

  /** The message object's JSON bytes, without building a tree. */
  byte[] encode(ConsumerRecord<byte[], byte[]> r, ValueKind kind) {
    out.reset();
    raw("{\"topic\":");
    quoted(r.topic());
    raw(",\"partition\":");
    raw(Integer.toString(r.partition()));
    raw(",\"offset\":");
    raw(Long.toString(r.offset()));
    raw(",\"timestamp\":\"");
    raw(timestamp(r.timestamp()));
    raw("\",\"key\":");
    byte[] key = r.key();
    boolean keyBase64 = false;
    if (key == null) {
      out.writeBytes(NULL);
    } else if (isUtf8(key)) {
      quoted(new String(key, StandardCharsets.UTF_8));
    } else {
      quoted(Base64.getEncoder().encodeToString(key));
      keyBase64 = true;
    }
    if (keyBase64) {
      raw(",\"key_encoding\":\"base64\"");
    }
    raw(",\"value\":");
    switch (kind) {
      case NULL -> out.writeBytes(NULL);
      case JSON -> out.writeBytes(r.value());
      case TEXT -> quoted(new String(r.value(), StandardCharsets.UTF_8));
      case BINARY -> {
        quoted(Base64.getEncoder().encodeToString(r.value()));
        raw(",\"value_encoding\":\"base64\"");
      }
    }
    raw(",\"headers\":{");
    boolean first = true;
    for (Header h : r.headers()) {
      if (!first) {
        out.write(',');
      }
      first = false;
      quoted(h.key());
      out.write(':');
      if (h.value() == null) {
        out.writeBytes(NULL);
      } else {
        quoted(headerValue(h.value()));
      }
    }
    raw("}}");
    return out.toByteArray();
  }

  /** Records of one poll mostly share their millisecond: format each millisecond once. */
  private String timestamp(long millis) {
    if (millis != lastMillis) {
      lastTimestamp = TS.format(Instant.ofEpochMilli(millis));
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

  private void raw(String ascii) {
    for (int i = 0; i < ascii.length(); i++) {
      out.write(ascii.charAt(i));
    }
  }

  private void quoted(String s) {
    out.write('"');
    out.writeBytes(QUOTER.quoteAsUTF8(s));
    out.write('"');
  }
}
