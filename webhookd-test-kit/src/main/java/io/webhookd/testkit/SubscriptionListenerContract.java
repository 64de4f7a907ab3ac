package io.webhookd.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.Health;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.testkit.RecordingListener.BatchAbandoned;
import io.webhookd.testkit.RecordingListener.BatchDelivered;
import io.webhookd.testkit.RecordingListener.BatchFailed;
import io.webhookd.testkit.RecordingListener.BatchStarted;
import io.webhookd.testkit.RecordingListener.Event;
import io.webhookd.testkit.RecordingListener.HealthChanged;
import io.webhookd.testkit.RecordingListener.Started;
import io.webhookd.testkit.RecordingListener.Stopped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What an engine promises a {@link SubscriptionListener}, checked against a real engine on a real
 * broker: the event order and pairing and the threads of the interface's Javadoc. The engine's
 * destination is the kit's {@link InMemoryDestination}, which the clauses script to fail, succeed
 * or hold a batch.
 *
 * <p>A test extends this class and supplies {@link #engine(KafkaCluster)}: a builder of the engine
 * to check, with its store and settings (the contract sets the destination and the listeners).
 * webhookd's own test checks the default engine; a host application checks its engine with its
 * own store.
 *
 * <pre>{@code
 * class MyEngineListenerTest extends SubscriptionListenerContract {
 *   protected Webhookd.Builder engine(KafkaCluster kafka) {
 *     return Webhookd.builder().bootstrapServers(kafka.bootstrapServers()).store(new MyStore());
 *   }
 * }
 * }</pre>
 */
@WithKafka
public abstract class SubscriptionListenerContract {

  /** How long a clause waits for an event before failing: generous, for busy machines. */
  protected static final Duration AWAIT = Duration.ofSeconds(60);

  private KafkaCluster kafka;
  private final ThreadRecordingListener events = new ThreadRecordingListener();
  private InMemoryDestination destination;
  private Webhookd engine;

  /**
   * A builder of the engine under test on {@code kafka} (at least {@code bootstrapServers}); the
   * contract adds its destination, its listeners and a short shutdown timeout.
   */
  protected abstract Webhookd.Builder engine(KafkaCluster kafka);

  @BeforeEach
  void startEngine(KafkaCluster kafka) {
    this.kafka = kafka;
    destination = InMemoryDestination.create();
    engine = engine(kafka).destination(destination).listener(events).shutdownTimeout(Duration.ofSeconds(2)).build();
  }

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      engine.close();
    }
    if (destination != null) {
      destination.close();
    }
  }

  @Test
  @DisplayName("started comes first, before any batch event of the subscription")
  void startedComesFirst() {
    Subscription sub = subscribeAndProduce(3);

    events.await(BatchDelivered.class, e -> e.subscriptionId().equals(sub.id()), AWAIT);

    List<Event> all = events.eventsFor(sub.id());
    assertThat(all).isNotEmpty();
    assertThat(all.get(0)).isInstanceOf(Started.class);
    assertThat(all.stream().filter(e -> e instanceof Started)).hasSize(1);
  }

  @Test
  @DisplayName("every batchStarted is followed, once per attempt, by batchFailed (attempts 1, 2, ...) until batchDelivered of the same batch and size")
  void batchEventsArePaired() {
    destination.failFirst(2, 503);
    Subscription sub = subscribeAndProduce(5);

    events.await(BatchDelivered.class, e -> e.subscriptionId().equals(sub.id()), AWAIT);
    awaitDelivered(sub, 5);

    Map<String, List<Event>> byBatch = new LinkedHashMap<>();
    for (Event e : events.eventsFor(sub.id())) {
      String batchId = batchId(e);
      if (batchId != null) {
        byBatch.computeIfAbsent(batchId, k -> new ArrayList<>()).add(e);
      }
    }
    assertThat(byBatch).isNotEmpty();
    int failures = 0;
    for (Map.Entry<String, List<Event>> entry : byBatch.entrySet()) {
      List<Event> seq = entry.getValue();
      assertThat(seq.get(0)).as("first event of batch %s: %s", entry.getKey(), seq).isInstanceOf(BatchStarted.class);
      int size = ((BatchStarted) seq.get(0)).size();
      assertThat(size).isPositive();
      for (int i = 1; i < seq.size() - 1; i++) {
        assertThat(seq.get(i)).as("events of batch %s: %s", entry.getKey(), seq).isInstanceOf(BatchFailed.class);
        BatchFailed f = (BatchFailed) seq.get(i);
        assertThat(f.attempt()).isEqualTo(i);
        assertThat(f.retryInMillis()).isNotNegative();
        assertThat(f.result().isSuccess()).isFalse();
        failures++;
      }
      Event last = seq.get(seq.size() - 1);
      assertThat(last).as("last event of batch %s: %s", entry.getKey(), seq).isInstanceOf(BatchDelivered.class);
      assertThat(((BatchDelivered) last).size()).isEqualTo(size);
      assertThat(((BatchDelivered) last).result().isSuccess()).isTrue();
    }
    assertThat(failures).as("failed attempts heard").isEqualTo(2);
  }

  @Test
  @DisplayName("lifecycle and batch events of a subscription come on one thread of the engine, never on the caller's")
  void eventsComeOnTheConsumerThread() {
    destination.failFirst(1, 500);
    Subscription sub = subscribeAndProduce(4);

    awaitDelivered(sub, 4);

    Set<String> threads = new LinkedHashSet<>(events.threadsFor(sub.id()));
    assertThat(threads).hasSize(1);
    assertThat(threads).doesNotContain(Thread.currentThread().getName());
  }

  @Test
  @DisplayName("healthChanged goes to unhealthy when the retries are exhausted, and back to healthy when a delivery succeeds")
  void healthChangesArePaired() {
    destination.failFirst(3, 503);
    Subscription sub = subscribeAndProduce(2, b -> b.maxRetries(1));

    events.await(HealthChanged.class, e -> e.subscriptionId().equals(sub.id()) && e.to() == Health.HEALTHY, AWAIT);

    List<HealthChanged> changes = events.healthChanges(sub.id());
    assertThat(changes).extracting(HealthChanged::to).containsExactly(Health.UNHEALTHY, Health.HEALTHY);
    assertThat(changes.get(0).from()).isEqualTo(Health.HEALTHY);
    assertThat(changes.get(1).from()).isEqualTo(Health.UNHEALTHY);
  }

  @Test
  @DisplayName("a listener that throws is ignored: delivery goes on and the other listeners hear every event")
  void throwingListenerIsIgnored() {
    engine.close(); // closes its destination too
    destination = InMemoryDestination.create();
    ThreadRecordingListener after = new ThreadRecordingListener();
    engine = engine(kafka).destination(destination).shutdownTimeout(Duration.ofSeconds(2))
        .listener(new ThrowingListener()).listener(after).build();

    Subscription sub = engine.subscribe(spec("throwing").build());
    topics.put(sub.id(), lastTopic);
    produce(sub, 3);

    after.await(BatchDelivered.class, e -> e.subscriptionId().equals(sub.id()), AWAIT);
    assertThat(after.eventsFor(sub.id()).get(0)).isInstanceOf(Started.class);
    assertThat(destination.awaitRequests(1, AWAIT)).isNotEmpty();
  }

  @Test
  @DisplayName("unsubscribe ends with stopped, giving a reason, and nothing is heard of the subscription after it")
  void stoppedComesLast() {
    Subscription sub = subscribeAndProduce(2);
    events.await(BatchDelivered.class, e -> e.subscriptionId().equals(sub.id()), AWAIT);

    engine.unsubscribe(sub.id());

    Stopped stopped = events.await(Stopped.class, e -> e.subscriptionId().equals(sub.id()), AWAIT);
    assertThat(stopped.reason()).isNotBlank();
    List<Event> all = events.eventsFor(sub.id());
    assertThat(all.get(all.size() - 1)).isEqualTo(stopped);
  }

  @Test
  @DisplayName("a batch still in flight when the engine closes ends in batchAbandoned (it stays uncommitted), then stopped")
  void inFlightBatchIsAbandonedOnClose() {
    destination.pauseResponses();
    Subscription sub = subscribeAndProduce(2);
    BatchStarted started = events.await(BatchStarted.class, e -> e.subscriptionId().equals(sub.id()), AWAIT);

    engine.close();

    List<Event> all = events.eventsFor(sub.id());
    List<Event> ofBatch = all.stream().filter(e -> started.batchId().equals(batchId(e))).toList();
    assertThat(ofBatch).as("events of the batch: %s", all).hasSize(2);
    assertThat(ofBatch.get(1)).isInstanceOf(BatchAbandoned.class);
    assertThat(((BatchAbandoned) ofBatch.get(1)).reason()).isNotBlank();
    assertThat(all.get(all.size() - 1)).isInstanceOf(Stopped.class);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private final Map<String, String> topics = new LinkedHashMap<>();
  private String lastTopic = "";

  private SubscriptionSpec.Builder spec(String name) {
    String topic = "listener-contract-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(topic, 1);
    lastTopic = topic;
    return SubscriptionSpec.builder()
        .name(name)
        .webhookUrl("https://in-memory.example/hook")
        .source(topic)
        .maxBatchSize(100)
        .maxBatchInterval(Duration.ofMillis(50))
        .retryInitialDelay(Duration.ofMillis(10))
        .retryMaxDelay(Duration.ofMillis(100));
  }

  private Subscription subscribeAndProduce(int messages) {
    return subscribeAndProduce(messages, b -> b);
  }

  private Subscription subscribeAndProduce(int messages, java.util.function.UnaryOperator<SubscriptionSpec.Builder> customize) {
    Subscription sub = engine.subscribe(customize.apply(spec("listener-contract")).build());
    topics.put(sub.id(), lastTopic);
    produce(sub, messages);
    return sub;
  }

  private void produce(Subscription sub, int messages) {
    String topic = topics.get(sub.id());
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (int i = 0; i < messages; i++) {
      records.add(new ProducerRecord<>(topic, "k", ("{\"n\":" + i + "}").getBytes(UTF_8)));
    }
    kafka.produce(topic, records);
  }

  private void awaitDelivered(Subscription sub, int messages) {
    org.awaitility.Awaitility.await().atMost(AWAIT).until(() -> events.deliveredMessageCount(sub.id()) >= messages);
  }

  private static String batchId(Event e) {
    if (e instanceof BatchStarted s) {
      return s.batchId();
    }
    if (e instanceof BatchFailed f) {
      return f.batchId();
    }
    if (e instanceof BatchDelivered d) {
      return d.batchId();
    }
    if (e instanceof BatchAbandoned a) {
      return a.batchId();
    }
    return null;
  }

  /** Records events with a {@link RecordingListener}, and the thread each came on. */
  private static final class ThreadRecordingListener implements SubscriptionListener {
    private final RecordingListener recorder = new RecordingListener();
    private final List<String[]> threads = new ArrayList<>();

    private void heard(String subscriptionId) {
      synchronized (threads) {
        threads.add(new String[] {subscriptionId, Thread.currentThread().getName()});
      }
    }

    @Override
    public void started(String subscriptionId) {
      heard(subscriptionId);
      recorder.started(subscriptionId);
    }

    @Override
    public void stopped(String subscriptionId, String reason) {
      heard(subscriptionId);
      recorder.stopped(subscriptionId, reason);
    }

    @Override
    public void batchStarted(String subscriptionId, String batchId, int size) {
      heard(subscriptionId);
      recorder.batchStarted(subscriptionId, batchId, size);
    }

    @Override
    public void batchDelivered(String subscriptionId, String batchId, int size, DeliveryResult result) {
      heard(subscriptionId);
      recorder.batchDelivered(subscriptionId, batchId, size, result);
    }

    @Override
    public void batchFailed(String subscriptionId, String batchId, int attempt, DeliveryResult result, long retryInMillis) {
      heard(subscriptionId);
      recorder.batchFailed(subscriptionId, batchId, attempt, result, retryInMillis);
    }

    @Override
    public void batchAbandoned(String subscriptionId, String batchId, String reason) {
      heard(subscriptionId);
      recorder.batchAbandoned(subscriptionId, batchId, reason);
    }

    @Override
    public void healthChanged(String subscriptionId, Health from, Health to) {
      heard(subscriptionId);
      recorder.healthChanged(subscriptionId, from, to);
    }

    List<String> threadsFor(String subscriptionId) {
      synchronized (threads) {
        return threads.stream().filter(t -> t[0].equals(subscriptionId)).map(t -> t[1]).toList();
      }
    }

    <T extends Event> T await(Class<T> type, java.util.function.Predicate<? super T> condition, Duration timeout) {
      return recorder.await(type, condition, timeout);
    }

    List<Event> eventsFor(String subscriptionId) {
      return recorder.eventsFor(subscriptionId);
    }

    List<HealthChanged> healthChanges(String subscriptionId) {
      return recorder.healthChanges(subscriptionId);
    }

    int deliveredMessageCount(String subscriptionId) {
      return recorder.deliveredMessageCount(subscriptionId);
    }
  }

  /** Throws from every method. */
  private static final class ThrowingListener implements SubscriptionListener {
    private static RuntimeException boom() {
      return new IllegalStateException("a listener that throws (expected by the test)");
    }

    @Override
    public void started(String subscriptionId) {
      throw boom();
    }

    @Override
    public void batchStarted(String subscriptionId, String batchId, int size) {
      throw boom();
    }

    @Override
    public void batchDelivered(String subscriptionId, String batchId, int size, DeliveryResult result) {
      throw boom();
    }
  }
}
