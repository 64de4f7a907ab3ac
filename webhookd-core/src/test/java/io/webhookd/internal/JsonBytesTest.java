package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JsonBytesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The reference: Jackson's parser, one value and nothing after it. */
  private static boolean jacksonSaysJson(byte[] b) {
    try (JsonParser p = MAPPER.getFactory().createParser(b)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return false;
      }
      p.skipChildren();
      if (t == JsonToken.VALUE_STRING) {
        p.getText();
      }
      return p.nextToken() == null;
    } catch (Exception e) {
      return false;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("agrees with Jackson on valid and invalid documents")
  void agreesWithJackson() {
    String[] docs = {
      "{}", "[]", "{\"a\":1}", " {\"a\" : [1, 2.5, -3e10, true, false, null, \"x\\u00e9\\n\"]} ", "\"s\"", "0", "-0", "1.0E+2",
      "{\"a\":{\"b\":{\"c\":[[[]]]}}}", "\"\u00e9\u4e2d\ud83d\ude00\"",
      "", " ", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "1e", "--1", "+1", "tru", "nul", "truex",
      "\"unterminated", "\"bad \\x escape\"", "\"\\u12G4\"", "{\"a\":1}{}", "[1] 2", "NaN", "'single'", "{\"a\":1,}", "\"tab\there\""
    };
    for (String d : docs) {
      assertThat(JsonBytes.isJson(utf8(d))).as(d).isEqualTo(jacksonSaysJson(utf8(d)));
    }
  }

  @Test
  @DisplayName("agrees with Jackson on thousands of mutated documents")
  void agreesOnMutations() {
    Random random = new Random(42);
    String base = "{\"id\":12,\"name\":\"caf\u00e9\",\"tags\":[\"a\",\"b\"],\"price\":-1.5e3,\"ok\":true,\"none\":null,\"nested\":{\"x\":[1,{\"y\":\"\\\"q\\\"\"}]}}";
    byte[] alphabet = utf8("{}[]\",:0123456789-+.eEtrufalsn \\/x\t");
    List<String> disagreements = new ArrayList<>();
    for (int n = 0; n < 20_000; n++) {
      byte[] b = utf8(base);
      int edits = 1 + random.nextInt(3);
      for (int e = 0; e < edits; e++) {
        int at = random.nextInt(b.length);
        if (b[at] < 0) {
          continue; // keep the UTF-8 of é intact: Jackson does not validate all of UTF-8
        }
        b[at] = alphabet[random.nextInt(alphabet.length)];
      }
      if (JsonBytes.isJson(b) != jacksonSaysJson(b)) {
        disagreements.add(new String(b, StandardCharsets.UTF_8));
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  @DisplayName("long strings: quotes, escapes, control and non-ASCII bytes are found at every position of an 8-byte word")
  void longStringsAtEveryAlignment() {
    String[] specials = {"\\\"", "\\n", "\\u00e9", "\u00e9", "\u4e2d", "\t", "\"", "\\x"};
    for (int pad = 0; pad < 17; pad++) {
      for (int len = 0; len < 20; len++) {
        for (String sp : specials) {
          String doc = "{\"" + "k".repeat(pad) + "\":\"" + "a".repeat(len) + sp + "b".repeat(len % 9) + "\"}";
          byte[] b = utf8(doc);
          assertThat(JsonBytes.isJson(b)).as(doc).isEqualTo(jacksonSaysJson(b));
        }
      }
    }
    byte[] invalidLate = utf8("\"" + "a".repeat(37) + "\u00e9\"");
    invalidLate[38] = (byte) 0xff;
    assertThat(JsonBytes.isJson(invalidLate)).isFalse();
    assertThat(JsonBytes.isUtf8(invalidLate)).isFalse();
  }

  @Test
  @DisplayName("strings must be valid UTF-8; nesting is bounded")
  void utf8AndDepth() {
    assertThat(JsonBytes.isJson(new byte[] {'"', (byte) 0xc3, (byte) 0xa9, '"'})).isTrue();
    assertThat(JsonBytes.isJson(new byte[] {'"', (byte) 0xc3, '"'})).isFalse();
    assertThat(JsonBytes.isJson(new byte[] {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'})).isFalse(); // surrogate
    assertThat(JsonBytes.isJson(new byte[] {'"', (byte) 0xc0, (byte) 0x80, '"'})).isFalse(); // overlong
    assertThat(JsonBytes.isJson(utf8("[".repeat(500) + "]".repeat(500)))).isTrue();
    assertThat(JsonBytes.isJson(utf8("[".repeat(501) + "]".repeat(501)))).isFalse();
    assertThat(JsonBytes.isJson(utf8("[".repeat(100_000)))).isFalse();
    assertThat(JsonBytes.isUtf8(utf8("plain caf\u00e9 \ud83d\ude00"))).isTrue();
    assertThat(JsonBytes.isUtf8(new byte[] {(byte) 0xff})).isFalse();
    assertThat(JsonBytes.isUtf8(new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80})).isFalse(); // > U+10FFFF
  }
}
