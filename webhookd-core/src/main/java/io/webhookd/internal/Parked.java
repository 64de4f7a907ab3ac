package io.webhookd.internal;

import io.webhookd.Subscription;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A subscription read by its topic's {@link SharedReader} instead of its own consumer: its filters
 * and, per partition, the offset of the next record it has not seen (everything before was
 * filtered out or delivered and committed). Touched by the reader's thread only, once handed to it.
 */
final class Parked {
  final Subscription subscription;
  private final RecordFilter filter;
  private final Map<TopicPartition, Long> positions;
  /** Positions moved since the last commit to the subscription's group. */
  boolean moved;

  Parked(Subscription subscription, RecordFilter filter, Map<TopicPartition, Long> positions) {
    this.subscription = subscription;
    this.filter = filter;
    this.positions = new HashMap<>(positions);
  }

  String id() {
    return subscription.id();
  }

  Map<TopicPartition, Long> positions() {
    return positions;
  }

  /** Whether the record passes the subscription's filters; one that fails to evaluate does not (as in the runner). */
  boolean passes(ConsumerRecord<byte[], byte[]> r) {
    try {
      return filter.test(r);
    } catch (RuntimeException e) {
      return false;
    }
  }
}
