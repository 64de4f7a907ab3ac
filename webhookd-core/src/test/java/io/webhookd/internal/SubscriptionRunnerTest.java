package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.Health;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.RowFilterPolicy;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The runner's commit and in-flight machinery, driven by Kafka's MockConsumer and a destination
 * whose responses the test completes by hand (so completions can come in any order).
 */
class SubscriptionRunnerTest {
  private static final String TOPIC = "orders";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

  /** Keeps its committed offsets readable after the runner closed it. */
  private final MockConsumer<byte[], byte[]> consumer =
      new MockConsumer<>("earliest") {
        @Override
        public synchronized void close(Duration timeout) {
          closed = true;
        }

        @Override
        public synchronized void close(org.apache.kafka.clients.consumer.CloseOptions options) {
          closed = true;
        }
      };
  private volatile boolean closed;
  private final ManualDestination destination = new ManualDestination();
  private final Fences fences = new Fences("sub-1");
  private final Reporter reporter = new Reporter(SubscriptionStore.inMemory(), AlertChannel.logging(), 100, Duration.ZERO);
  private @Nullable SubscriptionRunner runner;

  @AfterEach
  void stop() throws Exception {
    if (runner != null) {
      destination.completeAll(200);
      runner.requestStop(SubscriptionRunner.StopMode.GRACEFUL);
      runner.awaitStopped(Duration.ofSeconds(10));
    }
    reporter.close();
  }

  private void start(int batchSize) {
    SubscriptionSpec spec =
        SubscriptionSpec.builder().name("unit").webhookUrl("http://hook.example/x").source(TOPIC)
            .maxBatchSize(batchSize).maxBatchInterval(Duration.ofMillis(1))
            .maxRetries(1).retryInitialDelay(Duration.ofMillis(1)).retryMaxDelay(Duration.ofMillis(5)).build();
    Subscription s = new Subscription("sub-1", spec, null, 1, Instant.now(), Instant.now());
    runner = new SubscriptionRunner(s, new TestHost(), null);
    runner.start();
    await().until(() -> !consumer.subscription().isEmpty());
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(P0, P1)));
  }

  private void add(TopicPartition tp, long offset) {
    consumer.schedulePollTask(
        () -> consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, ("{\"o\":" + offset + "}").getBytes(StandardCharsets.UTF_8))));
  }

  private @Nullable Long committed(TopicPartition tp) {
    OffsetAndMetadata o = consumer.committed(Set.of(tp)).get(tp);
    return o == null ? null : o.offset();
  }

  /** The committed offset, 0 when none: 0 means nothing of the partition counts as delivered. */
  private long committedOr0(TopicPartition tp) {
    Long c = committed(tp);
    return c == null ? 0 : c;
  }

  @Test
  @DisplayName("completions out of order: each partition's commit moves only past its own delivered messages")
  void outOfOrderCompletions() {
    start(1);
    add(P0, 0);
    add(P1, 0);
    await().until(() -> destination.requests.size() == 2);
    CompletableFuture<DeliveryResult> forP0 = destination.pendingFor(P0);
    destination.pendingFor(P1).complete(ok());
    await().until(() -> Long.valueOf(1).equals(committed(P1)));
    assertThat(committedOr0(P0)).isZero();
    forP0.complete(ok());
    await().until(() -> Long.valueOf(1).equals(committed(P0)));
  }

  @Test
  @DisplayName("never two batches of one partition in flight: the next waits for the first")
  void onePartitionOneBatchInFlight() {
    start(1);
    add(P0, 0);
    add(P0, 1);
    add(P0, 2);
    await().until(() -> destination.requests.size() == 1);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10)).until(() -> destination.requests.size() == 1);
    destination.pendingFor(P0).complete(ok());
    await().until(() -> destination.requests.size() == 2);
    assertThat(destination.requests.get(1).body()).asString(StandardCharsets.UTF_8).contains("\"offset\":1");
  }

  @Test
  @DisplayName("batch ids: distinct for distinct batches; a batch formed again from the same messages, by another runner too, keeps its id")
  void batchIdsFollowWhatTheBatchHolds() {
    start(1);
    for (int i = 0; i < 20; i++) {
      add(i % 2 == 0 ? P0 : P1, i / 2);
    }
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      await().until(() -> destination.requests.size() > ids.size());
      ids.add(destination.requests.get(ids.size()).batchId());
      destination.completeAll(200);
    }
    assertThat(new java.util.HashSet<>(ids)).hasSize(20);
    for (String id : ids) {
      java.util.UUID u = java.util.UUID.fromString(id);
      assertThat(u.toString()).isEqualTo(id);
      assertThat(u.version()).isEqualTo(8);
      assertThat(u.variant()).isEqualTo(2);
    }
    // what another runner of the subscription (after a crash) computes for the same messages
    BatchIds again = new BatchIds("sub-1");
    String firstOfP0 = idOf(again, P0, 0);
    assertThat(ids).contains(firstOfP0);
    assertThat(idOf(again, P0, 0)).isEqualTo(firstOfP0);
    assertThat(idOf(again, P0, 0, 1)).isNotIn(ids).isNotEqualTo(firstOfP0);
    assertThat(idOf(again, P1, 0)).isNotEqualTo(firstOfP0);
    assertThat(idOf(new BatchIds("sub-2"), P0, 0)).isNotEqualTo(firstOfP0);
  }

  private static String idOf(BatchIds ids, TopicPartition tp, long... offsets) {
    ids.begin();
    ids.partition(tp);
    for (long o : offsets) {
      ids.offset(o);
    }
    return ids.finish();
  }

  @Test
  @DisplayName("a failed batch is retried with the same id and blocks later messages of its partition; nothing is committed past it")
  void failedBatchBlocksItsPartition() {
    start(1);
    add(P0, 0);
    add(P0, 1);
    await().until(() -> destination.requests.size() == 1);
    String firstId = destination.requests.get(0).batchId();
    destination.pendingFor(P0).complete(DeliveryResult.response(503, Map.of(), "down", Duration.ZERO));
    await().until(() -> destination.requests.size() == 2);
    assertThat(destination.requests.get(1).batchId()).isEqualTo(firstId);
    destination.pendingFor(P0).complete(DeliveryResult.response(503, Map.of(), "down", Duration.ZERO));
    await().until(() -> runner.health.health() == Health.UNHEALTHY);
    assertThat(committedOr0(P0)).isZero();
    await().until(() -> destination.requests.size() == 3);
    assertThat(destination.requests.get(2).batchId()).isEqualTo(firstId);
    destination.pendingFor(P0).complete(ok());
    await().until(() -> destination.requests.size() == 4);
    destination.pendingFor(P0).complete(ok());
    await().until(() -> Long.valueOf(2).equals(committed(P0)));
    assertThat(runner.health.health()).isEqualTo(Health.HEALTHY);
  }

  @Test
  @DisplayName("a partition revoked while its batch is in flight: its offset is not committed past the batch")
  void revokedWhileInFlight() {
    start(1);
    add(P0, 0);
    add(P1, 0);
    await().until(() -> destination.requests.size() == 2);
    destination.pendingFor(P1).complete(ok());
    await().until(() -> Long.valueOf(1).equals(committed(P1)));
    // the rebalance waits a moment for P0's in-flight batch, then gives up on it
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(P1)));
    await().atMost(Duration.ofSeconds(15)).until(() -> !consumer.assignment().contains(P0));
    assertThat(committedOr0(P0)).isZero();
    destination.pendingFor(P0).complete(ok()); // too late: ignored
    add(P1, 1);
    await().until(() -> destination.requests.size() == 3);
    destination.pendingFor(P1).complete(ok());
    await().until(() -> Long.valueOf(2).equals(committed(P1)));
    assertThat(committedOr0(P0)).isZero();
  }

  @Test
  @DisplayName("close during in-flight sends: what completes in time is committed, what does not is not")
  void closeDuringInFlight() throws Exception {
    start(1);
    add(P0, 0);
    add(P1, 0);
    await().until(() -> destination.requests.size() == 2);
    CompletableFuture<DeliveryResult> p0 = destination.pendingFor(P0);
    SubscriptionRunner r = runner;
    runner = null;
    r.requestStop(SubscriptionRunner.StopMode.GRACEFUL);
    p0.complete(ok());
    // P1 never answers within the shutdown timeout of this host (1 s)
    assertThat(r.awaitStopped(Duration.ofSeconds(10))).isTrue();
    assertThat(closed).isTrue();
    assertThat(committed(P0)).isEqualTo(1L);
    assertThat(committedOr0(P1)).isZero();
  }

  @Test
  @DisplayName("a crash between delivery and commit: the delivered batch stays uncommitted and will be re-delivered")
  void crashBetweenDeliveryAndCommit() throws Exception {
    start(1);
    add(P0, 0);
    await().until(() -> destination.requests.size() == 1);
    SubscriptionRunner r = runner;
    runner = null;
    r.requestStop(SubscriptionRunner.StopMode.ABANDON);
    destination.pendingFor(P0).complete(ok());
    assertThat(r.awaitStopped(Duration.ofSeconds(10))).isTrue();
    assertThat(committedOr0(P0)).isZero();
  }

  private static DeliveryResult ok() {
    return DeliveryResult.response(200, Map.of(), "", Duration.ofMillis(1));
  }

  /** Records requests and lets the test complete each one. */
  static final class ManualDestination implements WebhookDestination {
    final List<DeliveryRequest> requests = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<DeliveryResult>> futures = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<DeliveryResult> send(DeliveryRequest request) {
      CompletableFuture<DeliveryResult> f = new CompletableFuture<>();
      requests.add(request);
      futures.add(f);
      return f;
    }

    /** The pending request whose batch holds messages of the partition. */
    CompletableFuture<DeliveryResult> pendingFor(TopicPartition tp) {
      for (int i = requests.size() - 1; i >= 0; i--) {
        String body = new String(requests.get(i).body(), StandardCharsets.UTF_8);
        if (!futures.get(i).isDone() && body.contains("\"partition\":" + tp.partition() + ",")) {
          return futures.get(i);
        }
      }
      throw new AssertionError("no pending request for " + tp);
    }

    void completeAll(int status) {
      futures.forEach(f -> f.complete(DeliveryResult.response(status, Map.of(), "", Duration.ZERO)));
    }
  }

  private final class TestHost implements SubscriptionRunner.Host {
    private final Engine.Config config =
        new Engine.Config(Map.of(), destination, null, List.of(), null, null, RowFilterPolicy.NONE,
            Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO, Duration.ofHours(1), 100);

    @Override
    public Engine.Config config() {
      return config;
    }

    @Override
    public DeadLettering deadLettering() {
      return new DeadLettering(SubscriptionStore.inMemory(), reporter, Metrics.NOOP, (id, n, last) -> {});
    }

    @Override
    public WebhookDestination destination(Subscription s) {
      return destination;
    }

    @Override
    public io.webhookd.spi.Batcher batcher(Subscription s) {
      return io.webhookd.spi.Batcher.of(s.spec().batching());
    }

    @Override
    public io.webhookd.spi.Retrier retrier(Subscription s) {
      return io.webhookd.spi.Retrier.of(s.spec().retry());
    }

    @Override
    public SubscriptionListener listener() {
      return SubscriptionListener.NONE;
    }

    @Override
    public Reporter reporter() {
      return reporter;
    }

    @Override
    public Metrics metrics() {
      return Metrics.NOOP;
    }

    @Override
    public List<String> rowFilters(Subscription s, String topic) {
      return List.of();
    }

    @Override
    public Consumer<byte[], byte[]> newConsumer(Subscription s) {
      return consumer;
    }

    @Override
    public void healthChanged(SubscriptionRunner r, Health from, Health to, @Nullable DeliveryResult last) {}

    @Override
    public void gone(SubscriptionRunner r, DeliveryResult result) {}

    @Override
    public void crashed(SubscriptionRunner r, Throwable error) {}

    @Override
    public Fences fences(String subscriptionId) {
      return fences;
    }
  }
}
