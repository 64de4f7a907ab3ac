package io.webhookd.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Byte-level checks on record payloads, without decoding or allocating: whether bytes are
 * exactly one JSON value (RFC 8259, strings in valid UTF-8, nesting at most {@value #MAX_DEPTH}
 * deep) and whether they are valid UTF-8. Several times faster than a full parser, which matters
 * because every delivered record is checked once. Stateless and thread-safe.
 */
final class JsonBytes {
  static final int MAX_DEPTH = 500;
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /** Non-zero when some byte of {@code x} is zero. */
  private static long zeroByte(long x) {
    return (x - ONES) & ~x & HIGHS;
  }

  /**
   * Non-zero when one of the 8 bytes at {@code i} needs a closer look inside a JSON string: a
   * quote, a backslash, a control character or a non-ASCII byte.
   */
  private static long special(byte[] b, int i) {
    long w = (long) LONGS.get(b, i);
    return (w & HIGHS) | ((w - 0x2020202020202020L) & ~w & HIGHS) | zeroByte(w ^ 0x2222222222222222L)
        | zeroByte(w ^ 0x5c5c5c5c5c5c5c5cL);
  }

  private JsonBytes() {}

  /** Whether {@code b} is one JSON value, optionally surrounded by whitespace. */
  static boolean isJson(byte[] b) {
    int i = value(b, skipWs(b, 0), 0);
    return i >= 0 && skipWs(b, i) == b.length;
  }

  /** Whether {@code b} is valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
  static boolean isUtf8(byte[] b) {
    int i = 0;
    int n = b.length;
    while (i < n) {
      while (i + 8 <= n && (((long) LONGS.get(b, i)) & HIGHS) == 0) {
        i += 8;
      }
      if (i >= n) {
        break;
      }
      if (b[i] >= 0) {
        i++;
      } else {
        i = utf8Sequence(b, i);
        if (i < 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether every byte is printable ASCII other than {@code "} and {@code \}: safe to quote as is. */
  static boolean isPlainAscii(byte[] b) {
    for (byte c : b) {
      if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  static int skipWs(byte[] b, int i) {
    while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
      i++;
    }
    return i;
  }

  /** Index after the value starting at {@code i}, or -1. */
  static int value(byte[] b, int i, int depth) {
    if (i >= b.length) {
      return -1;
    }
    switch (b[i]) {
      case '{':
        return object(b, i + 1, depth + 1);
      case '[':
        return array(b, i + 1, depth + 1);
      case '"':
        return string(b, i + 1);
      case 't':
        return literal(b, i, "true");
      case 'f':
        return literal(b, i, "false");
      case 'n':
        return literal(b, i, "null");
      default:
        return number(b, i);
    }
  }

  private static int object(byte[] b, int i, int depth) {
    if (depth > MAX_DEPTH) {
      return -1;
    }
    i = skipWs(b, i);
    if (i < b.length && b[i] == '}') {
      return i + 1;
    }
    while (true) {
      if (i >= b.length || b[i] != '"') {
        return -1;
      }
      i = string(b, i + 1);
      if (i < 0) {
        return -1;
      }
      i = skipWs(b, i);
      if (i >= b.length || b[i] != ':') {
        return -1;
      }
      i = value(b, skipWs(b, i + 1), depth);
      if (i < 0) {
        return -1;
      }
      i = skipWs(b, i);
      if (i >= b.length) {
        return -1;
      }
      if (b[i] == '}') {
        return i + 1;
      }
      if (b[i] != ',') {
        return -1;
      }
      i = skipWs(b, i + 1);
    }
  }

  private static int array(byte[] b, int i, int depth) {
    if (depth > MAX_DEPTH) {
      return -1;
    }
    i = skipWs(b, i);
    if (i < b.length && b[i] == ']') {
      return i + 1;
    }
    while (true) {
      i = value(b, i, depth);
      if (i < 0) {
        return -1;
      }
      i = skipWs(b, i);
      if (i >= b.length) {
        return -1;
      }
      if (b[i] == ']') {
        return i + 1;
      }
      if (b[i] != ',') {
        return -1;
      }
      i = skipWs(b, i + 1);
    }
  }

  /** {@code i} is just after the opening quote; returns the index after the closing one. */
  static int string(byte[] b, int i) {
    int n = b.length;
    while (i < n) {
      // skip 8 plain ASCII bytes at a time: most of a JSON document is the inside of strings
      while (i + 8 <= n && special(b, i) == 0) {
        i += 8;
      }
      if (i >= n) {
        break;
      }
      byte c = b[i];
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        if (i + 1 >= n) {
          return -1;
        }
        byte e = b[i + 1];
        if (e == 'u') {
          if (i + 5 >= n) {
            return -1;
          }
          for (int k = i + 2; k < i + 6; k++) {
            if (Character.digit(b[k], 16) < 0) {
              return -1;
            }
          }
          i += 6;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
          i += 2;
        } else {
          return -1;
        }
      } else if (c >= 0 && c < 0x20) {
        return -1;
      } else if (c < 0) {
        i = utf8Sequence(b, i);
        if (i < 0) {
          return -1;
        }
      } else {
        i++;
      }
    }
    return -1;
  }

  private static int literal(byte[] b, int i, String word) {
    if (i + word.length() > b.length) {
      return -1;
    }
    for (int k = 0; k < word.length(); k++) {
      if (b[i + k] != word.charAt(k)) {
        return -1;
      }
    }
    return i + word.length();
  }

  private static int number(byte[] b, int i) {
    int n = b.length;
    if (i < n && b[i] == '-') {
      i++;
    }
    if (i >= n) {
      return -1;
    }
    if (b[i] == '0') {
      i++;
    } else if (b[i] >= '1' && b[i] <= '9') {
      while (i < n && b[i] >= '0' && b[i] <= '9') {
        i++;
      }
    } else {
      return -1;
    }
    if (i < n && b[i] == '.') {
      i++;
      int digits = i;
      while (i < n && b[i] >= '0' && b[i] <= '9') {
        i++;
      }
      if (i == digits) {
        return -1;
      }
    }
    if (i < n && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      if (i < n && (b[i] == '+' || b[i] == '-')) {
        i++;
      }
      int digits = i;
      while (i < n && b[i] >= '0' && b[i] <= '9') {
        i++;
      }
      if (i == digits) {
        return -1;
      }
    }
    return i;
  }

  /** {@code b[i]} is a non-ASCII lead byte; returns the index after its sequence, or -1. */
  private static int utf8Sequence(byte[] b, int i) {
    int c = b[i] & 0xff;
    int n = b.length;
    if (c >= 0xc2 && c <= 0xdf) {
      return i + 1 < n && cont(b[i + 1]) ? i + 2 : -1;
    }
    if (c >= 0xe0 && c <= 0xef) {
      if (i + 2 >= n || !cont(b[i + 1]) || !cont(b[i + 2])) {
        return -1;
      }
      int c1 = b[i + 1] & 0xff;
      if (c == 0xe0 && c1 < 0xa0) {
        return -1; // overlong
      }
      if (c == 0xed && c1 > 0x9f) {
        return -1; // surrogate
      }
      return i + 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
      if (i + 3 >= n || !cont(b[i + 1]) || !cont(b[i + 2]) || !cont(b[i + 3])) {
        return -1;
      }
      int c1 = b[i + 1] & 0xff;
      if (c == 0xf0 && c1 < 0x90) {
        return -1; // overlong
      }
      if (c == 0xf4 && c1 > 0x8f) {
        return -1; // above U+10FFFF
      }
      return i + 4;
    }
    return -1;
  }

  private static boolean cont(byte x) {
    return (x & 0xc0) == 0x80;
  }
}
