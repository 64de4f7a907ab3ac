package io.webhookd.internal;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what a poll returned into work: each record is filtered (the subscription's filters of its
 * topic ANDed with the client's row filters) and either marked done (filtered out) or encoded into
 * its partition's buffer. A record counts only once it is filtered out or buffered: an error on
 * the way (even an {@code Error}) leaves it, and everything after it, to be read again.
 *
 * <p>Not thread-safe: used on the subscription's consumer thread only.
 */
final class RecordIntake {
  private static final Logger log = LoggerFactory.getLogger(RecordIntake.class);

  private final Map<String, RecordFilter> filters = new HashMap<>();
  private final MessageEncoder encoder;
  private final Metrics.SubscriptionMetrics metrics;
  /** Key ordering: each message carries its key's hash. */
  private final boolean keyed;

  /**
   * @param rowFilters the extra filters of a subscription's topic (the client's row-level access)
   */
  RecordIntake(Subscription s, BiFunction<Subscription, String, List<String>> rowFilters, MessageEncoder encoder,
      Metrics.SubscriptionMetrics metrics) {
    this.encoder = encoder;
    this.metrics = metrics;
    this.keyed = s.spec().delivery().ordering() == io.webhookd.Ordering.KEY;
    for (SubscriptionSpec.Source source : s.spec().sources()) {
      List<String> exprs = new ArrayList<>(source.jmesFilters());
      exprs.addAll(rowFilters.apply(s, source.topic()));
      filters.put(source.topic(), RecordFilter.of(exprs));
    }
  }

  /** Takes the records of partitions this consumer still holds into their buffers. */
  void take(ConsumerRecords<byte[], byte[]> records, Partitions partitions, long now) {
    int consumed = 0;
    int filtered = 0;
    for (TopicPartition tp : records.partitions()) {
      PartitionState ps = partitions.get(tp);
      if (ps == null) {
        continue; // not ours any more
      }
      RecordFilter f = filters.get(tp.topic());
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        if (ps.nextOffset >= 0 && r.offset() < ps.nextOffset) {
          continue; // already seen (cannot normally happen)
        }
        consumed++;
        MessageEncoder.ValueKind kind;
        if (f != null && !f.acceptsAll()) {
          boolean pass;
          try {
            pass = f.test(r);
          } catch (RuntimeException e) {
            log.debug("filter error on {}-{}@{}: {}; treated as not matching", r.topic(), r.partition(), r.offset(), e.toString());
            pass = false;
          }
          if (!pass) {
            filtered++;
            ps.skip(r.offset());
            partitions.markDone();
            continue;
          }
          kind = f.kind();
        } else {
          kind = MessageEncoder.classify(r.value());
        }
        ps.add(new Pending(r.offset(), encoder.encode(r, kind), now, r.timestamp(), keyed ? Pending.keyHash(r.key()) : 0,
            TraceParent.of(r.headers())));
        partitions.buffered(1);
      }
    }
    metrics.consumed(consumed);
    if (filtered > 0) {
      metrics.filtered(filtered);
    }
  }
}
