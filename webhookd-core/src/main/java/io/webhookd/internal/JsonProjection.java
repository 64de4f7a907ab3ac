package io.webhookd.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Checks JSON bytes exactly as {@link JsonBytes#isJson} does and, in the same pass, builds the
 * part of the value that {@link FieldPaths} can reach: objects on the way hold only the names
 * of the paths, a path's end holds its whole value (as Jackson would parse it), and a value on the
 * way that is not an object becomes {@code null} (a field of it is {@code null} either way). What
 * no path reaches is checked and skipped, never parsed. Not thread-safe: one per consumer thread.
 */
final class JsonProjection {
  private @Nullable JsonNode out;

  /**
   * The projection of {@code b} onto {@code paths} (which must not be {@linkplain
   * FieldPaths#whole() whole}), or {@code null} when {@code b} is not exactly one JSON value.
   *
   * @throws IllegalStateException when a reached value is JSON that Jackson refuses (beyond its
   *     limits on number or string length)
   */
  @Nullable JsonNode project(byte[] b, FieldPaths paths) {
    int i = value(b, JsonBytes.skipWs(b, 0), 0, paths);
    if (i < 0 || JsonBytes.skipWs(b, i) != b.length) {
      return null;
    }
    JsonNode n = out;
    out = null;
    return n;
  }

  /** A value at {@code i} inside a container at {@code depth}, on the way of {@code paths}. */
  private int value(byte[] b, int i, int depth, FieldPaths paths) {
    if (i < b.length && b[i] == '{') {
      return object(b, i + 1, depth + 1, paths);
    }
    out = NullNode.getInstance();
    return JsonBytes.value(b, i, depth);
  }

  private int object(byte[] b, int i, int depth, FieldPaths paths) {
    if (depth > JsonBytes.MAX_DEPTH) {
      return -1;
    }
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    i = JsonBytes.skipWs(b, i);
    if (i < b.length && b[i] == '}') {
      out = node;
      return i + 1;
    }
    while (true) {
      if (i >= b.length || b[i] != '"') {
        return -1;
      }
      int nameFrom = i + 1;
      i = JsonBytes.string(b, nameFrom);
      if (i < 0) {
        return -1;
      }
      int nameTo = i - 1;
      i = JsonBytes.skipWs(b, i);
      if (i >= b.length || b[i] != ':') {
        return -1;
      }
      i = JsonBytes.skipWs(b, i + 1);
      String escapedName = null;
      FieldPaths child;
      if (indexOf(b, nameFrom, nameTo, (byte) '\\') < 0) {
        child = paths.child(b, nameFrom, nameTo);
      } else {
        escapedName = (String) parse(b, nameFrom - 1, nameTo + 1).textValue();
        child = paths.child(escapedName);
      }
      if (child == null) {
        i = JsonBytes.value(b, i, depth);
        if (i < 0) {
          return -1;
        }
      } else {
        String name = escapedName != null ? escapedName : new String(b, nameFrom, nameTo - nameFrom, StandardCharsets.UTF_8);
        if (child.whole()) {
          int from = i;
          i = JsonBytes.value(b, i, depth);
          if (i < 0) {
            return -1;
          }
          node.set(name, leaf(b, from, i));
        } else {
          i = value(b, i, depth, child);
          if (i < 0) {
            return -1;
          }
          node.set(name, out);
        }
      }
      i = JsonBytes.skipWs(b, i);
      if (i >= b.length) {
        return -1;
      }
      if (b[i] == '}') {
        out = node;
        return i + 1;
      }
      if (b[i] != ',') {
        return -1;
      }
      i = JsonBytes.skipWs(b, i + 1);
    }
  }

  /** The node of the (valid) JSON value {@code b[from, to)}, as Jackson's tree would hold it. */
  private static JsonNode leaf(byte[] b, int from, int to) {
    switch (b[from]) {
      case '"' -> {
        if (indexOf(b, from + 1, to - 1, (byte) '\\') < 0) {
          return TextNode.valueOf(new String(b, from + 1, to - from - 2, StandardCharsets.UTF_8));
        }
      }
      case 't' -> {
        return BooleanNode.TRUE;
      }
      case 'f' -> {
        return BooleanNode.FALSE;
      }
      case 'n' -> {
        return NullNode.getInstance();
      }
      default -> {
        JsonNode n = smallInteger(b, from, to);
        if (n != null) {
          return n;
        }
      }
    }
    return parse(b, from, to);
  }

  /** An integer of at most 18 digits as Jackson types it (int when it fits, else long); else null. */
  private static @Nullable JsonNode smallInteger(byte[] b, int from, int to) {
    int i = from;
    boolean negative = b[i] == '-';
    if (negative) {
      i++;
    }
    if (to - i > 18 || i == to) {
      return null;
    }
    long v = 0;
    for (; i < to; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return null; // a fraction or an exponent
      }
      v = v * 10 + d;
    }
    v = negative ? -v : v;
    return v == (int) v ? IntNode.valueOf((int) v) : LongNode.valueOf(v);
  }

  private static JsonNode parse(byte[] b, int from, int to) {
    try {
      return MessageEncoder.MAPPER.readTree(b, from, to - from);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("value at byte " + from + " refused by the JSON parser: " + e.getMessage(), e);
    }
  }

  private static int indexOf(byte[] b, int from, int to, byte x) {
    for (int i = from; i < to; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }
}
