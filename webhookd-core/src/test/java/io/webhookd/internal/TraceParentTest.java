package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TraceParentTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";
  private static final String VALID = "00-" + TRACE + "-" + SPAN + "-01";

  @Test
  @DisplayName("a version 00 traceparent is read field by field and written back as it was")
  void readsVersion00() {
    TraceParent tp = TraceParent.parse(VALID, null);
    assertThat(tp).isNotNull();
    assertThat(tp.traceId()).isEqualTo(TRACE);
    assertThat(tp.spanId()).isEqualTo(SPAN);
    assertThat(tp.flags()).isEqualTo(1);
    assertThat(tp.traceState()).isNull();
    assertThat(tp.header()).isEqualTo(VALID);
  }

  @ParameterizedTest(name = "[{index}] \"{0}\"")
  @DisplayName("an invalid traceparent gives no context (W3C: all-zero ids, version ff, upper case, lengths, delimiters)")
  @ValueSource(strings = {
      "",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // all-zero parent id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff is invalid
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper-case hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", // too short
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", // version 00 has nothing after the flags
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // delimiter
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", // a later version's extra fields start with a dash
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "not a traceparent at all, but long enough to be checked field by field"})
  void refusesInvalid(String value) {
    assertThat(TraceParent.parse(value, "vendor=value")).isNull();
  }

  @Test
  @DisplayName("a later version is read by its version 00 fields and sent as version 00")
  void readsLaterVersion() {
    TraceParent tp = TraceParent.parse("cc-" + TRACE + "-" + SPAN + "-01-what-comes-later", null);
    assertThat(tp).isNotNull();
    assertThat(tp.header()).isEqualTo(VALID);
    assertThat(TraceParent.parse("cc-" + TRACE + "-" + SPAN + "-01", null)).isNotNull();
  }

  @Test
  @DisplayName("flags other than sampled and random are cleared, as a sender of version 00 must")
  void clearsUnknownFlags() {
    assertThat(TraceParent.parse("00-" + TRACE + "-" + SPAN + "-ff", null).flags()).isEqualTo(0x03);
    assertThat(TraceParent.parse("00-" + TRACE + "-" + SPAN + "-ff", null).header()).endsWith("-03");
    assertThat(TraceParent.parse("00-" + TRACE + "-" + SPAN + "-00", null).flags()).isZero();
  }

  @Test
  @DisplayName("a well-formed tracestate is kept as it is")
  void keepsTraceState() {
    String state = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE, tenant@vendor=a b";
    assertThat(TraceParent.parse(VALID, state).traceState()).isEqualTo(state);
  }

  @ParameterizedTest(name = "[{index}] \"{0}\"")
  @DisplayName("a malformed tracestate is dropped, the traceparent kept (no header injection either)")
  @ValueSource(strings = {"", "   ", "novalue", "=value", "Upper=1", "k=v\r\nX-Injected: 1", "k=v,k2=é", "k=a=b"})
  void dropsMalformedTraceState(String state) {
    TraceParent tp = TraceParent.parse(VALID, state);
    assertThat(tp).isNotNull();
    assertThat(tp.traceState()).isNull();
  }

  @Test
  @DisplayName("a tracestate of more than 32 members or 512 characters is dropped")
  void dropsOversizedTraceState() {
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 33; i++) {
      many.append(i == 0 ? "" : ",").append("k").append(i).append("=v");
    }
    assertThat(TraceParent.parse(VALID, many.toString()).traceState()).isNull();
    assertThat(TraceParent.parse(VALID, "k=" + "v".repeat(511)).traceState()).isNull();
  }

  @Test
  @DisplayName("a child keeps the trace id, flags and tracestate, with a new random span id each time")
  void childHasNewSpanId() {
    TraceParent tp = TraceParent.parse(VALID, "rojo=1");
    Set<String> spans = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      TraceParent c = tp.child();
      assertThat(c.traceId()).isEqualTo(TRACE);
      assertThat(c.flags()).isEqualTo(1);
      assertThat(c.traceState()).isEqualTo("rojo=1");
      assertThat(c.spanId()).matches("[0-9a-f]{16}").isNotEqualTo("0000000000000000").isNotEqualTo(SPAN);
      assertThat(TraceParent.parse(c.header(), null)).isEqualTo(new TraceParent(TRACE, c.spanId(), 1, null));
      spans.add(c.spanId());
    }
    assertThat(spans).hasSize(100);
  }

  @Test
  @DisplayName("a record's context: its last traceparent header, its tracestate headers joined; none without a traceparent")
  void readsRecordHeaders() {
    RecordHeaders h = new RecordHeaders();
    assertThat(TraceParent.of(h)).isNull();
    h.add("tracestate", bytes("a=1"));
    assertThat(TraceParent.of(h)).isNull();
    h.add("traceparent", bytes("00-" + TRACE + "-1111111111111111-00"));
    h.add("traceparent", bytes(VALID));
    h.add("tracestate", bytes("b=2"));
    assertThat(TraceParent.of(h)).isEqualTo(new TraceParent(TRACE, SPAN, 1, "a=1,b=2"));
    h.add("traceparent", (byte[]) null);
    assertThat(TraceParent.of(h)).isNull();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
