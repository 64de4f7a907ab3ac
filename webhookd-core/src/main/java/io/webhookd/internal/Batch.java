package io.webhookd.internal;

import io.webhookd.spi.DeliveryRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * Messages sent together in one request, and that request's history: attempts, the next one's
 * time, whether it was given up. Not thread-safe: the consumer thread owns it; the destination's
 * thread only hands its outcome back through a completion.
 */
final class Batch {
  /** Set once the batch is formed: {@link BatchIds}. */
  String id = "";
  final List<Pending> messages = new ArrayList<>();
  /** The first offset of each partition the batch holds messages of, in the order they were taken. */
  final Map<TopicPartition, Long> firstOffsets = new LinkedHashMap<>();
  /** Each partition's messages: {@code messages[from, to)}, in the order of {@link #firstOffsets}. */
  final List<Slice> slices = new ArrayList<>(1);
  byte[] body = new byte[0];
  int attempts;
  long nextAttemptAt;
  /** Given up by this runner: its messages will be read again (its answer, if one comes, is ignored). */
  boolean abandoned;
  @Nullable DeliveryRequest request;
  /** The outcome of the latest failed attempt, or {@code null} when none failed. */
  io.webhookd.spi.@Nullable DeliveryResult lastResult;
  /** An operator asked to skip it while it was in flight: who ({@code ""} when unnamed), or {@code null}. */
  @Nullable String skipRequestedBy;
  /** The latest attempt's request. */
  Fences.@Nullable Request open;

  /** The messages of one partition in a batch: {@code messages[from, to)}. */
  record Slice(TopicPartition tp, int from, int to) {}

  /** Whether the batch holds messages of any of {@code tps}. */
  boolean touches(java.util.Collection<TopicPartition> tps) {
    if (tps.isEmpty()) {
      return false;
    }
    for (TopicPartition tp : firstOffsets.keySet()) {
      if (tps.contains(tp)) {
        return true;
      }
    }
    return false;
  }
}
