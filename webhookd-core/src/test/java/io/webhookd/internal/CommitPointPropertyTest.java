package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.webhookd.Ordering;
import io.webhookd.RetryAlgorithm;
import io.webhookd.SubscriptionSpec;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.Batcher;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.Retrier;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A property over random runs (a seeded random loop: each failure names its seed): whatever the
 * order in which answers come back, successes and failures mixed, with messages filtered out,
 * gaps in the offsets and a few hot keys, the committed offset of a partition never passes a
 * message that was read and not delivered; with key ordering no two batches holding one key of a
 * partition are out at once and each key's messages are first delivered in offset order; with
 * partition ordering the same for whole partitions; and once every answer is a success,
 * everything read is delivered and committed.
 *
 * <p>The runner's parts are driven directly on the test's thread (no runner thread, no timing):
 * {@link Partitions} on Kafka's MockConsumer, {@link BatchAssembler}, {@link Deliveries} with a
 * destination whose answers the test gives in random order.
 */
class CommitPointPropertyTest {
  private static final int RUNS = 300;
  private static final int STEPS = 400;
  private static final String TOPIC = "t";
  private static final List<TopicPartition> TPS = List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1));
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @EnumSource(Ordering.class)
  @DisplayName("the committed offset never passes an undelivered message, over random completion orders")
  void committedOffsetNeverPassesAnUndeliveredMessage(Ordering ordering) throws Exception {
    for (int seed = 0; seed < RUNS; seed++) {
      try {
        new Run(ordering, new Random(seed * 31L + ordering.ordinal())).go();
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("ordering " + ordering + ", seed " + seed + ": " + e.getMessage(), e);
      }
    }
  }

  /** One random run. */
  private static final class Run implements WebhookDestination {
    private final Ordering ordering;
    private final Random rnd;
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final Partitions parts;
    private final BatchAssembler assembler;
    private final Deliveries out;
    private final Reporter reporter = new Reporter(SubscriptionStore.inMemory(), AlertChannel.logging(), 10, Duration.ZERO);
    private final int maxInFlight;
    private final int keys;

    /** What the test read into each partition: passing offsets not yet delivered, and the next offset. */
    private final Map<TopicPartition, TreeSet<Long>> undelivered = new HashMap<>();
    private final Map<TopicPartition, Long> next = new HashMap<>();
    private final Map<TopicPartition, Set<Long>> filtered = new HashMap<>();
    /** The key of each message read (null for none), by partition and offset. */
    private final Map<TopicPartition, java.util.TreeMap<Long, @Nullable String>> keyOf = new HashMap<>();
    /** Offsets delivered at least once. */
    private final Map<TopicPartition, Set<Long>> everDelivered = new HashMap<>();
    /** Whether batches were given up and partitions read again (duplicates may follow). */
    private boolean rewound;
    /** Requests open, in the order sent. */
    private final List<Open> open = new ArrayList<>();
    /** Batches out (sent, not yet delivered): what they hold. */
    private final List<Out> outs = new ArrayList<>();
    /** Per partition and key: the highest offset delivered. */
    private final Map<String, Long> lastDelivered = new HashMap<>();
    private long clock;

    record Msg(int partition, long offset, @Nullable String key) {}

    record Open(DeliveryRequest request, CompletableFuture<DeliveryResult> future, Out batch) {}

    /** A batch out: its id and messages, and whether a request of it is open. */
    static final class Out {
      final String id;
      final List<Msg> msgs;
      boolean open;

      Out(String id, List<Msg> msgs) {
        this.id = id;
        this.msgs = msgs;
      }
    }

    Run(Ordering ordering, Random rnd) {
      this.ordering = ordering;
      this.rnd = rnd;
      this.maxInFlight = 1 + rnd.nextInt(8);
      this.keys = 1 + rnd.nextInt(6);
      int batchSize = 1 + rnd.nextInt(6);
      Batcher batcher = Batcher.sizeOrAge(batchSize, 0);
      Fences fences = new Fences("sub");
      consumer.assign(TPS);
      consumer.updateBeginningOffsets(Map.of(TPS.get(0), 0L, TPS.get(1), 0L));
      int maxSpan = ordering == Ordering.PARTITION ? 0 : 20 + rnd.nextInt(40);
      parts = new Partitions("sub", consumer, () -> true, 10 + rnd.nextInt(20), maxSpan);
      parts.assigned(TPS);
      assembler = new BatchAssembler("sub", batcher, fences, new MessageEncoder(), ordering);
      SubscriptionSpec.Retry retry = new SubscriptionSpec.Retry(2, RetryAlgorithm.FIXED_TIME, Duration.ZERO, Duration.ZERO);
      out =
          new Deliveries(
              "sub", retry, Retrier.fixed(Duration.ZERO), this, SubscriptionListener.NONE, reporter,
              Metrics.SubscriptionMetrics.NOOP, new HealthTracker(null, Instant.now()),
              new Deliveries.Outcomes() {
                @Override
                public void healthChanged(io.webhookd.Health from, io.webhookd.Health to, DeliveryResult last) {}

                @Override
                public void gone(DeliveryResult result) {}
              },
              fences, parts, new RequestMaker("sub", destination(), Duration.ofSeconds(30), Tracing.PROPAGATE), Duration.ofSeconds(30),
              () -> {}, new DeadLettering(SubscriptionStore.inMemory(), reporter, Metrics.NOOP, (id, n, last) -> {}));
      for (TopicPartition tp : TPS) {
        undelivered.put(tp, new TreeSet<>());
        filtered.put(tp, new HashSet<>());
        keyOf.put(tp, new java.util.TreeMap<>());
        everDelivered.put(tp, new HashSet<>());
        next.put(tp, 0L);
      }
    }

    private static SubscriptionSpec.Destination destination() {
      return SubscriptionSpec.builder().name("x").webhookUrl("http://hook.example/x").source(TOPIC).build().destination();
    }

    void go() throws IOException {
      try {
        for (int step = 0; step < STEPS; step++) {
          int action = rnd.nextInt(10);
          if (action < 3) {
            read();
          } else if (action < 5) {
            send();
          } else if (action < 9) {
            answer(rnd.nextInt(10) < 7);
          } else if (rnd.nextInt(10) == 0) {
            giveUpRetries();
          } else {
            commit();
          }
          check();
        }
        // from now on every answer is a success: everything read gets delivered and committed
        // (until copies read again after a rewind are delivered too: they hold the commit point)
        for (int i = 0; i < 100_000 && !(allDelivered() && open.isEmpty() && allReadAgain() && nothingWaits()); i++) {
          for (TopicPartition tp : TPS) {
            if (keyOf.get(tp).ceilingKey(next.get(tp)) != null) {
              read(tp); // what a rewind left to read again
            }
          }
          send();
          answer(true);
          parts.adjustPauses();
          check();
        }
        commit();
        check();
        for (TopicPartition tp : TPS) {
          assertThat(undelivered.get(tp)).as("undelivered of %s", tp).isEmpty();
          long end = keyOf.get(tp).isEmpty() ? 0 : keyOf.get(tp).lastKey() + 1;
          assertThat(committed(tp)).as("committed offset of %s once everything is delivered", tp).isEqualTo(end);
        }
      } finally {
        reporter.close();
      }
    }

    private boolean nothingWaits() {
      return out.outstanding() == 0 && parts.all().stream().allMatch(ps -> ps.waiting() == 0);
    }

    private boolean allReadAgain() {
      return TPS.stream().allMatch(tp -> keyOf.get(tp).ceilingKey(next.get(tp)) == null);
    }

    private boolean allDelivered() {
      return TPS.stream().allMatch(tp -> undelivered.get(tp).isEmpty());
    }

    /** Reads a few records into a partition that is not paused: some filtered out, some offsets skipped (a gap). */
    private void read() {
      read(TPS.get(rnd.nextInt(TPS.size())));
    }

    private void read(TopicPartition tp) {
      PartitionState ps = parts.get(tp);
      if (ps.paused) {
        return;
      }
      int n = 1 + rnd.nextInt(5);
      for (int i = 0; i < n; i++) {
        Long again = keyOf.get(tp).ceilingKey(next.get(tp));
        long offset;
        String key;
        if (again != null) {
          // read again after a rewind: the same record (its key, whether the filter passes it)
          offset = again;
          key = keyOf.get(tp).get(again);
        } else {
          offset = next.get(tp) + (rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(3) : 0);
          int k = rnd.nextInt(keys + 1);
          key = k == keys ? null : "k" + k;
          keyOf.get(tp).put(offset, key);
          if (rnd.nextInt(6) == 0) {
            filtered.get(tp).add(offset);
          }
        }
        next.put(tp, offset + 1);
        if (filtered.get(tp).contains(offset)) {
          ps.skip(offset);
          parts.markDone();
          continue;
        }
        byte[] bytes =
            ("{\"partition\":" + tp.partition() + ",\"offset\":" + offset + ",\"key\":" + (key == null ? "null" : "\"" + key + "\"") + "}")
                .getBytes(StandardCharsets.UTF_8);
        int hash = ordering == Ordering.KEY ? Pending.keyHash(key == null ? null : key.getBytes(StandardCharsets.UTF_8)) : 0;
        ps.add(new Pending(offset, bytes, System.nanoTime(), 0, hash, null));
        parts.buffered(1);
        if (!everDelivered.get(tp).contains(offset)) {
          undelivered.get(tp).add(offset);
        }
      }
      parts.adjustPauses();
    }

    /** What the runner's loop does: due retries, then new batches, up to max_in_flight. */
    private void send() {
      long now = System.nanoTime();
      Batch retry;
      while ((retry = out.dueRetry(now)) != null) {
        out.send(retry, now);
      }
      while (parts.buffered() > 0 && out.outstanding() < maxInFlight) {
        BatchAssembler.Due due = assembler.due(parts.all(), out.outstanding() > 0, now);
        if (due == null) {
          return;
        }
        Batch b = assembler.form(due, parts);
        if (b != null) {
          out.send(b, now);
        }
      }
    }

    /** Answers one open request, chosen at random: a success or a 503. */
    private void answer(boolean success) {
      if (open.isEmpty()) {
        return;
      }
      Open o = open.remove(rnd.nextInt(open.size()));
      o.batch().open = false;
      if (success) {
        outs.remove(o.batch());
        delivered(o.batch().msgs);
      }
      o.future().complete(DeliveryResult.response(success ? 200 : 503, Map.of(), "", Duration.ZERO));
      out.drain();
      parts.adjustPauses();
    }

    /**
     * The stop path's first step, here in the middle of a run: every batch waiting to be retried is
     * given up, its partitions rewound to their commit points and read again from there.
     */
    private void giveUpRetries() {
      out.abandonRetries("test");
      outs.removeIf(o -> !o.open);
      for (TopicPartition tp : TPS) {
        long at = parts.get(tp).nextOffset;
        if (at >= 0 && at < next.get(tp)) {
          next.put(tp, at);
          rewound = true;
        }
      }
    }

    private void commit() {
      clock += Duration.ofMillis(150).toNanos();
      parts.maybeCommit(clock);
    }

    @Override
    public CompletableFuture<DeliveryResult> send(DeliveryRequest request) {
      CompletableFuture<DeliveryResult> f = new CompletableFuture<>();
      List<Msg> msgs = messages(request);
      // a retry is the batch out with this id and no open request (a batch read again after a
      // rewind may carry the id of one still open: it is another batch)
      Out batch = outs.stream().filter(o -> o.id.equals(request.batchId()) && !o.open).findFirst().orElse(null);
      if (batch == null) {
        // a new batch: it must not overlap what the ordering keeps apart
        for (Out other : outs) {
          for (Msg a : msgs) {
            for (Msg b : other.msgs) {
              if (ordering == Ordering.PARTITION) {
                assertThat(a.partition()).as("a second batch of partition %d out at once", a.partition()).isNotEqualTo(b.partition());
              } else if (ordering == Ordering.KEY && a.partition() == b.partition()) {
                assertThat(a.key()).as("a second batch of key %s of partition %d out at once", a.key(), a.partition()).isNotEqualTo(b.key());
              }
            }
          }
        }
        batch = new Out(request.batchId(), msgs);
        outs.add(batch);
      }
      batch.open = true;
      open.add(new Open(request, f, batch));
      return f;
    }

    private void delivered(List<Msg> msgs) {
      for (Msg m : msgs) {
        TopicPartition tp = TPS.get(m.partition());
        if (!everDelivered.get(tp).add(m.offset())) {
          assertThat(rewound).as("%s@%d delivered twice without a rewind", tp, m.offset()).isTrue();
          continue; // a duplicate, read again after a rewind
        }
        assertThat(undelivered.get(tp).remove(m.offset())).as("%s@%d undelivered before its delivery", tp, m.offset()).isTrue();
        if (ordering != Ordering.NONE) {
          String k = m.partition() + "/" + (ordering == Ordering.KEY ? m.key() : "");
          Long last = lastDelivered.put(k, m.offset());
          assertThat(last == null || last < m.offset())
              .as("%s delivered after %s of the same %s", m.offset(), last, ordering == Ordering.KEY ? "key" : "partition")
              .isTrue();
        }
      }
    }

    private static List<Msg> messages(DeliveryRequest request) {
      try {
        JsonNode body = JSON.readTree(request.body());
        List<Msg> msgs = new ArrayList<>();
        for (JsonNode m : body.get("messages")) {
          msgs.add(new Msg(m.get("partition").asInt(), m.get("offset").asLong(), m.get("key").isNull() ? null : m.get("key").asText()));
        }
        return msgs;
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    private long committed(TopicPartition tp) {
      OffsetAndMetadata o = consumer.committed(Set.of(tp)).get(tp);
      return o == null ? 0 : o.offset();
    }

    /** The property: no commit past an undelivered message; the state's commit point agrees with the test's own view. */
    private void check() {
      for (TopicPartition tp : TPS) {
        TreeSet<Long> u = undelivered.get(tp);
        long firstUndelivered = u.isEmpty() ? Long.MAX_VALUE : u.first();
        assertThat(committed(tp)).as("committed offset of %s against its first undelivered %s", tp, firstUndelivered)
            .isLessThanOrEqualTo(firstUndelivered);
        PartitionState ps = parts.get(tp);
        if (!rewound) {
          long expected = u.isEmpty() ? (next.get(tp) == 0 ? -1 : keyOf.get(tp).lastKey() + 1) : firstUndelivered;
          assertThat(ps.commitPoint()).as("commit point of %s", tp).isEqualTo(expected);
        } else {
          // copies read again of delivered messages may hold it lower; never higher
          assertThat(ps.commitPoint()).as("commit point of %s", tp).isLessThanOrEqualTo(Math.min(firstUndelivered, next.get(tp)));
        }
      }
      int buffered = 0;
      for (PartitionState ps : parts.all()) {
        buffered += ps.buffer.size();
      }
      assertThat(parts.buffered()).as("messages counted as buffered").isEqualTo(buffered);
    }
  }
}
