package io.webhookd.internal;

import io.webhookd.WebhookBatch;
import io.webhookd.WebhookMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads a delivered batch body (the wire format {@link MessageEncoder} writes) into a {@link
 * WebhookBatch}, with nothing but the JDK: {@link JsonBytes} checks the document and finds where
 * each value ends, so that a value is handed to the receiver as the exact JSON text that was sent
 * (no number is rounded by a parse into doubles). Unknown fields are ignored, so that a receiver
 * keeps working when a later webhookd adds one. Stateless and thread-safe.
 */
public final class BatchReader {
  private BatchReader() {}

  /** Thrown for a body that is not a webhookd batch; the message says what is wrong. */
  public static final class MalformedBatchException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedBatchException(String message) {
      super(message);
    }
  }

  /** Parses a batch body. */
  public static WebhookBatch read(byte[] body) throws MalformedBatchException {
    if (!JsonBytes.isJson(body)) {
      throw new MalformedBatchException("the body is not one JSON document in UTF-8");
    }
    Cursor c = new Cursor(body);
    String subscriptionId = null;
    String batchId = null;
    List<WebhookMessage> messages = null;
    c.expect('{', "the body must be a JSON object");
    for (String field = c.firstField(); field != null; field = c.nextField()) {
      switch (field) {
        case "subscription_id" -> subscriptionId = c.requiredString("subscription_id");
        case "batch_id" -> batchId = c.requiredString("batch_id");
        case "messages" -> messages = messages(c);
        default -> c.skipValue();
      }
    }
    if (subscriptionId == null || batchId == null || messages == null) {
      throw new MalformedBatchException(
          "a batch must have subscription_id, batch_id and messages; missing: "
              + missing(subscriptionId == null ? "subscription_id" : null, batchId == null ? "batch_id" : null,
                  messages == null ? "messages" : null));
    }
    return new WebhookBatch(subscriptionId, batchId, messages);
  }

  /** The text of a JSON string literal ({@code "a\\nb"} gives a, newline, b). */
  public static String unquote(String jsonString) {
    byte[] b = jsonString.getBytes(StandardCharsets.UTF_8);
    Cursor c = new Cursor(b);
    try {
      return c.string();
    } catch (MalformedBatchException e) {
      throw new IllegalArgumentException("not a JSON string: " + jsonString, e);
    }
  }

  private static String missing(@Nullable String... names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (n != null) {
        out.add(n);
      }
    }
    return String.join(", ", out);
  }

  private static List<WebhookMessage> messages(Cursor c) throws MalformedBatchException {
    c.expect('[', "messages must be an array");
    List<WebhookMessage> out = new ArrayList<>();
    if (c.tryConsume(']')) {
      return out;
    }
    do {
      out.add(message(c, out.size()));
    } while (c.tryConsume(','));
    c.expect(']', "messages must be an array");
    return out;
  }

  private static WebhookMessage message(Cursor c, int index) throws MalformedBatchException {
    String where = "messages[" + index + "]";
    c.expect('{', where + " must be an object");
    String topic = null;
    Long partition = null;
    Long offset = null;
    Instant timestamp = null;
    String key = null;
    String keyEncoding = null;
    String value = "null";
    String valueEncoding = null;
    Map<String, @Nullable String> headers = new LinkedHashMap<>();
    for (String field = c.firstField(); field != null; field = c.nextField()) {
      switch (field) {
        case "topic" -> topic = c.requiredString(where + ".topic");
        case "partition" -> partition = c.integer(where + ".partition");
        case "offset" -> offset = c.integer(where + ".offset");
        case "timestamp" -> {
          String text = c.requiredString(where + ".timestamp");
          try {
            timestamp = Instant.parse(text);
          } catch (DateTimeParseException e) {
            throw new MalformedBatchException(where + ".timestamp must be an ISO-8601 instant, was " + text);
          }
        }
        case "key" -> key = c.nullableString(where + ".key");
        case "key_encoding" -> keyEncoding = c.nullableString(where + ".key_encoding");
        case "value" -> value = c.rawValue();
        case "value_encoding" -> valueEncoding = c.nullableString(where + ".value_encoding");
        case "headers" -> headers(c, where + ".headers", headers);
        default -> c.skipValue();
      }
    }
    if (topic == null || partition == null || offset == null || timestamp == null) {
      throw new MalformedBatchException(
          where + " must have topic, partition, offset and timestamp; missing: "
              + missing(topic == null ? "topic" : null, partition == null ? "partition" : null,
                  offset == null ? "offset" : null, timestamp == null ? "timestamp" : null));
    }
    if (partition < 0 || partition > Integer.MAX_VALUE) {
      throw new MalformedBatchException(where + ".partition must be between 0 and " + Integer.MAX_VALUE + ", was " + partition);
    }
    return new WebhookMessage(
        topic, partition.intValue(), offset, timestamp, key, keyEncoding, value, valueEncoding, headers);
  }

  private static void headers(Cursor c, String where, Map<String, @Nullable String> out) throws MalformedBatchException {
    if (c.tryLiteral("null")) {
      return;
    }
    c.expect('{', where + " must be an object");
    for (String name = c.firstField(); name != null; name = c.nextField()) {
      out.put(name, c.nullableString(where + "." + name));
    }
  }

  /** A position in a document that {@link JsonBytes#isJson} accepted. */
  private static final class Cursor {
    private final byte[] b;
    private int i;

    Cursor(byte[] b) {
      this.b = b;
      this.i = JsonBytes.skipWs(b, 0);
    }

    void expect(char c, String otherwise) throws MalformedBatchException {
      if (!tryConsume(c)) {
        throw new MalformedBatchException(otherwise);
      }
    }

    boolean tryConsume(char c) {
      i = JsonBytes.skipWs(b, i);
      if (i < b.length && b[i] == c) {
        i = JsonBytes.skipWs(b, i + 1);
        return true;
      }
      return false;
    }

    boolean tryLiteral(String word) {
      if (i + word.length() <= b.length && new String(b, i, word.length(), StandardCharsets.US_ASCII).equals(word)) {
        i = JsonBytes.skipWs(b, i + word.length());
        return true;
      }
      return false;
    }

    /** Just after {@code {}: the first field name (positioned at its value), or null when empty. */
    @Nullable String firstField() throws MalformedBatchException {
      if (tryConsume('}')) {
        return null;
      }
      return fieldName();
    }

    /** After a value: the next field name, or null at the end of the object. */
    @Nullable String nextField() throws MalformedBatchException {
      if (tryConsume(',')) {
        return fieldName();
      }
      expect('}', "an object must end with }");
      return null;
    }

    private String fieldName() throws MalformedBatchException {
      String name = string();
      expect(':', "a field name must be followed by :");
      return name;
    }

    String requiredString(String field) throws MalformedBatchException {
      String s = nullableString(field);
      if (s == null) {
        throw new MalformedBatchException(field + " must be a string, was null");
      }
      return s;
    }

    @Nullable String nullableString(String field) throws MalformedBatchException {
      if (tryLiteral("null")) {
        return null;
      }
      if (i >= b.length || b[i] != '"') {
        throw new MalformedBatchException(field + " must be a string, was " + rawValue());
      }
      return string();
    }

    long integer(String field) throws MalformedBatchException {
      int start = i;
      int end = JsonBytes.value(b, i, 0);
      String text = new String(b, start, end - start, StandardCharsets.US_ASCII);
      i = JsonBytes.skipWs(b, end);
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new MalformedBatchException(field + " must be an integer, was " + text);
      }
    }

    /** The exact JSON text of the value here. */
    String rawValue() {
      int start = i;
      int end = JsonBytes.value(b, i, 0);
      i = JsonBytes.skipWs(b, end);
      return new String(b, start, end - start, StandardCharsets.UTF_8);
    }

    void skipValue() {
      i = JsonBytes.skipWs(b, JsonBytes.value(b, i, 0));
    }

    /** The string starting at the quote here, unescaped. */
    private String string() throws MalformedBatchException {
      if (i >= b.length || b[i] != '"') {
        throw new MalformedBatchException("expected a string at byte " + i);
      }
      int end = JsonBytes.string(b, i + 1);
      if (end < 0) {
        throw new MalformedBatchException("malformed string at byte " + i);
      }
      int from = i + 1;
      int to = end - 1;
      i = JsonBytes.skipWs(b, end);
      boolean escaped = false;
      for (int k = from; k < to; k++) {
        if (b[k] == '\\') {
          escaped = true;
          break;
        }
      }
      if (!escaped) {
        return new String(b, from, to - from, StandardCharsets.UTF_8);
      }
      return unescape(from, to);
    }

    private String unescape(int from, int to) {
      StringBuilder sb = new StringBuilder(to - from);
      int k = from;
      while (k < to) {
        int run = k;
        while (k < to && b[k] != '\\') {
          k++;
        }
        sb.append(new String(b, run, k - run, StandardCharsets.UTF_8));
        if (k >= to) {
          break;
        }
        byte e = b[k + 1];
        switch (e) {
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> sb.append((char) Integer.parseInt(new String(b, k + 2, 4, StandardCharsets.US_ASCII), 16));
          default -> sb.append((char) e); // " \ /
        }
        k += e == 'u' ? 6 : 2;
      }
      return sb.toString();
    }
  }
}
