package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The projected filter path must decide exactly as the filter on the whole message object does:
 * checked here expression by expression and document by document, and on generated ones.
 */
class RecordFilterTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value) {
    RecordHeaders h = new RecordHeaders();
    h.add("trace-id", "t-1".getBytes(StandardCharsets.UTF_8));
    h.add("bin", new byte[] {(byte) 0xff});
    return new ConsumerRecord<>("orders", 2, 42L, 1_790_000_000_123L, TimestampType.CREATE_TIME, 0, 0, key, value, h, Optional.empty());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** What the engine did before projections: the whole message object, then the filter. */
  private static boolean reference(List<String> exprs, ConsumerRecord<byte[], byte[]> r) {
    byte[] v = r.value();
    JsonNode parsed = MessageEncoder.parseJson(v);
    MessageEncoder.ValueKind kind = MessageEncoder.classify(v, parsed);
    try {
      return Jmes.all(exprs).test(MessageEncoder.tree(r, kind, parsed));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean projected(RecordFilter f, ConsumerRecord<byte[], byte[]> r) {
    try {
      return f.test(r);
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Test
  @DisplayName("paths, literals, comparisons and boolean operators are analysed; anything else is not")
  void analysesTheSubset() {
    assertThat(FieldPaths.paths("value.region == 'eu'")).containsExactly(List.of("value", "region"));
    assertThat(FieldPaths.paths(" value . customer.\"the id\" != `\"x\"` && !(topic == 'a' || headers.\"trace-id\")"))
        .containsExactly(List.of("value", "customer", "the id"), List.of("topic"), List.of("headers", "trace-id"));
    assertThat(FieldPaths.paths("value.amount >= `100` && value.amount < `200`"))
        .containsExactly(List.of("value", "amount"), List.of("value", "amount"));
    assertThat(FieldPaths.paths("value")).containsExactly(List.of("value"));
    assertThat(FieldPaths.paths("\"a\\\"b\".c")).containsExactly(List.of("a\"b", "c"));
    for (String outside : List.of("value.items[0]", "value.*", "length(value.items) > `1`", "value.items[?x == 'a']", "@",
        "value | region", "value.{a: a}", "&value", "value.[a, b]", "(value).region", "'eu'.x", "value..x", "value.",
        "value.a == 'it\\'s'", "value.a == `\"\\u0041\"`", "$x", "value.a, b", "not_null(value.a)")) {
      assertThat(FieldPaths.paths(outside)).as(outside).isNull();
    }
    assertThat(FieldPaths.of(List.of("value.a.b == 'x'", "value.a", "value.c.d", "key"))).hasToString("{value{a*{b*},c{d*}},key*}");
    assertThat(FieldPaths.of(List.of("value.a == 'x'", "length(value) > `1`"))).isNull();
  }

  private static final List<String> EXPRESSIONS = List.of(
      "value.region == 'eu'",
      "value.region != 'eu'",
      "value.amount > `100`",
      "value.amount <= `100.5`",
      "value.customer.tier == 'gold' && value.amount > `10`",
      "value.customer.tier == 'gold' || !value.flag",
      "value.customer",
      "value.customer == `{\"tier\": \"gold\", \"id\": 7}`",
      "value.items == `[1, 2]`",
      "value.\"odd key\" == 'yes'",
      "value.\"é\" == `1`",
      "value.nested.deep.deeper == `true`",
      "value.big > `9000000000`",
      "value.neg < `0`",
      "value == `null`",
      "value",
      "!value",
      "value.a.b",
      "value.region == key",
      "topic == 'orders' && partition == `2` && offset == `42`",
      "headers.\"trace-id\" == 't-1'",
      "headers.bin",
      "timestamp == '2026-09-21T14:13:20.123Z'",
      "value_encoding == 'base64'",
      "key_encoding",
      "value.region == 'eu' && value.customer.tier == 'gold'");

  private static final List<String> DOCUMENTS = List.of(
      "{\"region\":\"eu\",\"amount\":250,\"customer\":{\"tier\":\"gold\",\"id\":7}}",
      "{\"region\":\"us\",\"amount\":50,\"customer\":{\"tier\":\"silver\"},\"flag\":true}",
      " { \"region\" : \"eu\" , \"amount\" : 100.5 , \"items\" : [1, 2] } ",
      "{\"items\":[1,2],\"amount\":1e2,\"region\":null}",
      "{\"odd key\":\"yes\",\"\\u00e9\":1,\"region\":\"e\\u0075\"}",
      "{\"r\\u0065gion\":\"eu\",\"amount\":-0}",
      "{\"region\":\"us\",\"region\":\"eu\"}",
      "{\"customer\":{\"tier\":\"gold\"},\"customer\":\"plain\"}",
      "{\"customer\":\"plain\",\"customer\":{\"tier\":\"gold\"}}",
      "{\"nested\":{\"deep\":{\"deeper\":true}}}",
      "{\"nested\":{\"deep\":[{\"deeper\":true}]}}",
      "{\"big\":9000000001,\"neg\":-12345678901234567,\"huge\":123456789012345678901234567890}",
      "{\"big\":12345678901234567890123,\"neg\":-1.5e-3}",
      "{\"a\":{\"b\":{\"c\":[1,{\"d\":\"\\\"\"}]}},\"region\":\"\\ud83d\\ude00\"}",
      "{\"region\":\"\u00e9t\u00e9 \u2603\",\"amount\":0}",
      "{}",
      "[1,2,3]",
      "[{\"region\":\"eu\"}]",
      "\"eu\"",
      "42",
      "true",
      "null",
      "{\"region\":\"eu\"",
      "{\"region\":\"eu\"} x",
      "{\"region\":\"eu\",}",
      "{\"region\":'eu'}",
      "plain text, not JSON",
      "{\"a\":" + "[".repeat(600) + "]".repeat(600) + ",\"region\":\"eu\"}");

  @Test
  @DisplayName("every expression on every document: the projected filter decides as the whole object does")
  void sameDecisions() {
    List<byte[]> values = new ArrayList<>();
    for (String d : DOCUMENTS) {
      values.add(utf8(d));
    }
    values.add(new byte[] {(byte) 0xff, 0, 1});
    values.add(new byte[0]);
    values.add(null);
    int projectedFilters = 0;
    int passes = 0;
    for (String e : EXPRESSIONS) {
      RecordFilter f = RecordFilter.of(List.of(e));
      projectedFilters += f.projects() ? 1 : 0;
      for (byte[] v : values) {
        for (byte[] key : new byte[][] {utf8("eu"), null, {(byte) 0xc3}}) {
          ConsumerRecord<byte[], byte[]> r = record(key, v);
          boolean expected = reference(List.of(e), r);
          String what = e + " on " + (v == null ? "null" : new String(v, StandardCharsets.UTF_8));
          assertThat(projected(f, r)).as(what).isEqualTo(expected);
          assertThat(f.kind()).as(what).isEqualTo(MessageEncoder.classify(v));
          passes += expected ? 1 : 0;
        }
      }
    }
    assertThat(projectedFilters).isEqualTo(EXPRESSIONS.size());
    assertThat(passes).as("the cases are not all one way").isBetween(50, EXPRESSIONS.size() * (DOCUMENTS.size() + 3) * 3 - 50);
  }

  @Test
  @DisplayName("generated documents and paths: the projection is the whole tree pruned to the paths")
  void projectionIsThePrunedTree() throws Exception {
    SplittableRandom rnd = new SplittableRandom(8);
    String[] names = {"a", "b", "c", "region", "amount"};
    JsonProjection projection = new JsonProjection();
    int checked = 0;
    for (int round = 0; round < 3000; round++) {
      JsonNode doc = randomValue(rnd, names, 0);
      List<String> exprs = new ArrayList<>();
      int n = 1 + rnd.nextInt(3);
      for (int k = 0; k < n; k++) {
        StringBuilder p = new StringBuilder("value");
        int len = 1 + rnd.nextInt(3);
        for (int d = 0; d < len; d++) {
          p.append('.').append(names[rnd.nextInt(names.length)]);
        }
        exprs.add(p + (rnd.nextBoolean() ? "" : " == 'eu'"));
      }
      FieldPaths paths = FieldPaths.of(exprs);
      assertThat(paths).isNotNull();
      byte[] bytes = MAPPER.writeValueAsBytes(doc);
      JsonNode projected = projection.project(bytes, paths.child("value"));
      assertThat(projected).as("%s on %s", exprs, doc).isEqualTo(prune(doc, paths.child("value")));
      ConsumerRecord<byte[], byte[]> r = record(null, bytes);
      assertThat(projected(RecordFilter.of(exprs), r)).as("%s on %s", exprs, doc).isEqualTo(reference(exprs, r));
      checked++;
    }
    assertThat(checked).isEqualTo(3000);
  }

  /** The reference projection, on Jackson's whole tree. */
  private static JsonNode prune(JsonNode n, FieldPaths p) {
    if (p.whole()) {
      return n;
    }
    if (!n.isObject()) {
      return NullNode.getInstance();
    }
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      FieldPaths c = p.child(e.getKey());
      if (c != null) {
        o.set(e.getKey(), prune(e.getValue(), c));
      }
    }
    return o;
  }

  private static JsonNode randomValue(SplittableRandom rnd, String[] names, int depth) {
    int k = rnd.nextInt(depth > 3 ? 6 : 8);
    JsonNodeFactory f = JsonNodeFactory.instance;
    return switch (k) {
      case 0 -> f.textNode(rnd.nextBoolean() ? "eu" : "us \"\\ \u00e9");
      case 1 -> f.numberNode(rnd.nextInt());
      case 2 -> f.numberNode(rnd.nextLong());
      case 3 -> f.numberNode(rnd.nextDouble() * 1000);
      case 4 -> rnd.nextBoolean() ? f.booleanNode(rnd.nextBoolean()) : f.nullNode();
      case 5 -> f.textNode("x".repeat(rnd.nextInt(40)));
      case 6 -> {
        var a = f.arrayNode();
        for (int i = rnd.nextInt(3); i > 0; i--) {
          a.add(randomValue(rnd, names, depth + 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = f.objectNode();
        for (int i = rnd.nextInt(5); i > 0; i--) {
          o.set(names[rnd.nextInt(names.length)], randomValue(rnd, names, depth + 1));
        }
        yield o;
      }
    };
  }
}
