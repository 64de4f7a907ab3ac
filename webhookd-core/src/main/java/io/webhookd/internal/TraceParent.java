package io.webhookd.internal;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.jspecify.annotations.Nullable;

/**
 * A W3C Trace Context (level 1 and 2: {@code traceparent} and {@code tracestate}) as a Kafka record
 * carried it, checked: version {@code ff}, malformed fields, upper-case hex and all-zero ids are
 * invalid and give no context at all (the spec's "restart the trace"); a {@code tracestate} that
 * is not a well-formed list is dropped, the {@code traceparent} kept. Immutable.
 *
 * @param traceId 32 lower-case hex digits, not all zero
 * @param spanId the record's span: 16 lower-case hex digits, not all zero
 * @param flags the trace flags (bit 0 sampled, bit 1 random); other bits are cleared, as the
 *     spec asks of a vendor that sends version {@code 00}
 * @param traceState the vendors' list, as received, or {@code null}
 */
record TraceParent(String traceId, String spanId, int flags, @Nullable String traceState) {
  static final String TRACEPARENT = "traceparent";
  static final String TRACESTATE = "tracestate";
  private static final int LENGTH = 55;
  private static final int MAX_STATE_LENGTH = 512;
  private static final int MAX_STATE_MEMBERS = 32;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * The context a record carries: its last {@code traceparent} header and its {@code tracestate}
   * headers joined with commas (as HTTP combines repeated headers); {@code null} when it has no
   * valid {@code traceparent}.
   */
  static @Nullable TraceParent of(Headers headers) {
    Header tp = headers.lastHeader(TRACEPARENT);
    if (tp == null || tp.value() == null) {
      return null;
    }
    StringBuilder state = null;
    for (Header h : headers.headers(TRACESTATE)) {
      if (h.value() == null) {
        continue;
      }
      if (state == null) {
        state = new StringBuilder();
      } else {
        state.append(',');
      }
      state.append(new String(h.value(), StandardCharsets.ISO_8859_1));
    }
    return parse(new String(tp.value(), StandardCharsets.ISO_8859_1), state == null ? null : state.toString());
  }

  /** The context of these header values; {@code null} when {@code traceparent} is not valid. */
  static @Nullable TraceParent parse(@Nullable String traceparent, @Nullable String tracestate) {
    if (traceparent == null || traceparent.length() < LENGTH) {
      return null;
    }
    String s = traceparent;
    if (!isHex(s, 0, 2) || s.startsWith("ff")) {
      return null;
    }
    boolean v00 = s.startsWith("00");
    // a later version may append fields after a dash; version 00 has exactly these
    if (v00 ? s.length() != LENGTH : s.length() > LENGTH && s.charAt(LENGTH) != '-') {
      return null;
    }
    if (s.charAt(2) != '-' || s.charAt(35) != '-' || s.charAt(52) != '-') {
      return null;
    }
    if (!isHex(s, 3, 35) || !isHex(s, 36, 52) || !isHex(s, 53, 55)) {
      return null;
    }
    String traceId = s.substring(3, 35);
    String spanId = s.substring(36, 52);
    if (allZero(traceId) || allZero(spanId)) {
      return null;
    }
    int flags = Integer.parseInt(s, 53, 55, 16) & 0x03;
    return new TraceParent(traceId, spanId, flags, validState(tracestate));
  }

  /** The {@code traceparent} header value (version 00) of this context. */
  String header() {
    return header(traceId, spanId, flags);
  }

  static String header(String traceId, String spanId, int flags) {
    return "00-" + traceId + "-" + spanId + "-" + HEX[(flags >> 4) & 0xf] + HEX[flags & 0xf];
  }

  /** This context with a new span of its trace: what a request sent on the record's behalf carries. */
  TraceParent child() {
    return new TraceParent(traceId, newSpanId(), flags, traceState);
  }

  /** A random span id: 16 lower-case hex digits, never all zero. */
  static String newSpanId() {
    long id;
    do {
      id = ThreadLocalRandom.current().nextLong();
    } while (id == 0);
    char[] c = new char[16];
    for (int i = 15; i >= 0; i--) {
      c[i] = HEX[(int) (id & 0xf)];
      id >>>= 4;
    }
    return new String(c);
  }

  private static boolean isHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static boolean allZero(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  /**
   * The list when it is one the spec allows ({@code key=value} members, at most 32, at most 512
   * characters, printable ASCII only: it becomes a request header as it is); else {@code null}.
   */
  private static @Nullable String validState(@Nullable String state) {
    if (state == null || state.isEmpty() || state.length() > MAX_STATE_LENGTH) {
      return null;
    }
    int members = 0;
    for (String m : state.split(",", -1)) {
      String member = m.strip();
      if (member.isEmpty()) {
        continue; // empty members are allowed and ignored
      }
      int eq = member.indexOf('=');
      if (eq <= 0 || eq == member.length() - 1 || ++members > MAX_STATE_MEMBERS) {
        return null;
      }
      if (!validKey(member.substring(0, eq)) || !validValue(member.substring(eq + 1))) {
        return null;
      }
    }
    return members == 0 ? null : state;
  }

  private static boolean validKey(String k) {
    if (k.length() > 256) {
      return false;
    }
    char first = k.charAt(0);
    if (!(first >= 'a' && first <= 'z' || first >= '0' && first <= '9')) {
      return false;
    }
    for (int i = 1; i < k.length(); i++) {
      char c = k.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '*' || c == '/' || c == '@')) {
        return false;
      }
    }
    return true;
  }

  private static boolean validValue(String v) {
    if (v.length() > 256) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      // printable ASCII but ',' and '=' (the member is stripped: a space can only be inside)
      if (c < 0x20 || c > 0x7e || c == ',' || c == '=') {
        return false;
      }
    }
    return true;
  }
}
