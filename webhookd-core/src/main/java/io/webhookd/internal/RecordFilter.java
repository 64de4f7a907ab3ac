package io.webhookd.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * One topic's filters (the subscription's and the client policy's, ANDed) applied to records: it
 * classifies the value and tests the message object in one go. When the expressions are plain
 * field paths ({@link FieldPaths}), the message object holds only what they can reach and a
 * JSON value is projected while it is checked, instead of parsed whole. Not thread-safe: one per
 * consumer thread.
 */
final class RecordFilter {
  private static final RecordFilter ACCEPT_ALL = new RecordFilter(Jmes.Filter.ACCEPT_ALL, null);

  private final Jmes.Filter predicate;
  /** The fields the expressions reach, or {@code null}: all of them. */
  private final @Nullable FieldPaths paths;
  private final @Nullable FieldPaths valuePaths;
  private final JsonProjection projection = new JsonProjection();
  private MessageEncoder.ValueKind kind = MessageEncoder.ValueKind.NULL;

  private RecordFilter(Jmes.Filter predicate, @Nullable FieldPaths paths) {
    this.predicate = predicate;
    this.paths = paths;
    this.valuePaths = paths == null ? null : paths.child("value");
  }

  /** The conjunction of {@code expressions} (each known to compile); accepts all when there are none. */
  static RecordFilter of(List<String> expressions) {
    if (expressions.isEmpty()) {
      return ACCEPT_ALL;
    }
    return new RecordFilter(Jmes.all(expressions), FieldPaths.of(expressions));
  }

  boolean acceptsAll() {
    return predicate == Jmes.Filter.ACCEPT_ALL;
  }

  /** Whether only some fields are built for the expressions (for tests). */
  boolean projects() {
    return paths != null;
  }

  /**
   * Whether {@code r} passes; {@link #kind()} then holds the kind of its value. An expression
   * that fails to evaluate (or a value the JSON parser refuses where a path reaches it) does not
   * pass.
   *
   * @throws RuntimeException when an expression fails to evaluate; the record does not pass
   */
  boolean test(ConsumerRecord<byte[], byte[]> r) {
    byte[] v = r.value();
    JsonNode parsed = null;
    if (v == null || v.length == 0) {
      kind = MessageEncoder.ValueKind.NULL;
    } else if (paths == null || (valuePaths != null && valuePaths.whole())) {
      parsed = MessageEncoder.parseJson(v);
      kind = MessageEncoder.classify(v, parsed);
    } else if (valuePaths != null) {
      try {
        parsed = projection.project(v, valuePaths);
      } catch (IllegalStateException e) {
        kind = MessageEncoder.ValueKind.JSON;
        throw e;
      }
      kind = parsed != null ? MessageEncoder.ValueKind.JSON : MessageEncoder.classify(v, null);
    } else {
      kind = MessageEncoder.classify(v);
    }
    if (acceptsAll()) {
      return true;
    }
    return predicate.test(MessageEncoder.tree(r, kind, parsed, paths));
  }

  /** The kind of the value of the record last {@linkplain #test tested}. */
  MessageEncoder.ValueKind kind() {
    return kind;
  }
}
