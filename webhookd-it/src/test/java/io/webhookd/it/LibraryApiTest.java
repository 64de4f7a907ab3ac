package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.webhookd.EngineClosedException;
import io.webhookd.Health;
import io.webhookd.Problem;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.ValidationException;
import io.webhookd.Webhookd;
import io.webhookd.spi.Batcher;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.Retrier;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.InMemoryDestination;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedRequest;
import io.webhookd.testkit.WebhookReceiver.Response;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The library's front door as an embedding team meets it: what it checks, what it lets you plug in, what it reports. */
class LibraryApiTest extends ReceiverTestBase {

  LibraryApiTest(KafkaCluster kafka) {
    super(kafka);
  }

  private SubscriptionSpec.Builder spec(String topic) {
    return SubscriptionSpec.builder().name("library").webhookUrl(receiver.url().toString()).source(topic)
        .maxBatchSize(10).maxBatchInterval(Duration.ofMillis(50))
        .retryInitialDelay(Duration.ofMillis(20)).retryMaxDelay(Duration.ofMillis(200));
  }

  /** A spec made with the record's constructor, past the builder's checks. */
  private static SubscriptionSpec raw(SubscriptionSpec valid, SubscriptionSpec.Batching batching, String secret) {
    return new SubscriptionSpec(
        valid.name(), true, new SubscriptionSpec.Destination(valid.destination().url(), List.of(), secret), valid.sources(),
        batching, valid.retry(), null, null);
  }

  // ------------------------------------------------------------------ bugs 1 and 2

  @Test
  @DisplayName("a spec made with the record's constructor is checked by subscribe and update: every problem, nothing stored, no empty batch")
  void unvalidatedSpecsAreRefusedAtTheEntryPoints() {
    String t = topic(kafka, "raw-spec", 1);
    SubscriptionStore store = SubscriptionStore.inMemory();
    try (Webhookd engine = engine(kafka).store(store).build()) {
      SubscriptionSpec valid = spec(t).build();
      SubscriptionSpec bad = raw(valid, new SubscriptionSpec.Batching(0, Duration.ofSeconds(1)), "whsec_!!!!");
      assertThatThrownBy(() -> engine.subscribe(bad))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.problems()).extracting(Problem::field)
              .containsExactlyInAnyOrder("configuration.batching.max_batch_size", "destination.webhook.signing_secret"));
      assertThat(store.list()).isEmpty();

      Subscription s = engine.subscribe(valid);
      assertThatThrownBy(() -> engine.update(s.id(), bad)).isInstanceOf(ValidationException.class);
      assertThat(engine.get(s.id()).orElseThrow().spec()).isEqualTo(valid);
      kafka.produce(t, jsonMessages(t, 0, 3));
      receiver.awaitDeliveredCount(3, Duration.ofSeconds(30));
    }
    assertThat(receiver.requests()).allSatisfy(r -> assertThat(r.messages()).isNotEmpty());
  }

  @Test
  @DisplayName("signing secrets: one without whsec_ or with bad base64 is refused before it is stored; later engines on the store start")
  void badSecretsNeverReachTheStore() {
    String t = topic(kafka, "secrets", 1);
    SubscriptionStore store = SubscriptionStore.inMemory();
    try (Webhookd engine = engine(kafka).store(store).build()) {
      SubscriptionSpec valid = spec(t).build();
      for (String secret : List.of("whsec_!!!!", "abcdefMfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2hvcnQ=")) {
        assertThatThrownBy(() -> engine.subscribe(raw(valid, valid.batching(), secret)))
            .as(secret)
            .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.problems()).extracting(Problem::field)
                .containsExactly("destination.webhook.signing_secret"));
        assertThatThrownBy(() -> SubscriptionSpec.builder().name("x").webhookUrl("https://example.com/").source(t).signingSecret(secret).build())
            .isInstanceOf(ValidationException.class);
      }
      assertThat(store.list()).isEmpty();
    }
    try (Webhookd again = engine(kafka).store(store).build()) {
      assertThat(again.list()).isEmpty();
    }
  }

  @Test
  @DisplayName("a stored subscription that cannot run does not stop the engine: it is reported with its problem, the others deliver")
  void aStoredSubscriptionThatCannotRunIsReported() {
    String t = topic(kafka, "broken", 1);
    SubscriptionStore store = SubscriptionStore.inMemory();
    SubscriptionSpec valid = spec(t).build();
    Instant now = Instant.now();
    // written by something that skipped the checks: a bad secret, and a scheme no destination serves
    store.create(new Subscription("broken-secret", raw(valid, valid.batching(), "whsec_!!!!"), null, 1, now, now));
    store.create(new Subscription("unserved-scheme", valid.toBuilder().webhookUrl("sqs://queue/orders").build(), null, 1, now, now));
    store.create(new Subscription("fine", valid, null, 1, now, now));
    try (Webhookd engine = engine(kafka).store(store).build()) {
      assertThat(engine.isRunning("fine")).isTrue();
      kafka.produce(t, jsonMessages(t, 0, 5));
      receiver.awaitDeliveredCount(5, Duration.ofSeconds(30));
      for (String id : List.of("broken-secret", "unserved-scheme")) {
        assertThat(engine.isRunning(id)).as(id).isFalse();
        SubscriptionStatus st = engine.status(id).orElseThrow();
        assertThat(st.health()).as(id).isEqualTo(Health.UNHEALTHY);
        assertThat(st.problem()).as(id).isNotBlank();
      }
      assertThat(engine.status("broken-secret").orElseThrow().problem()).contains("signing secret");
      assertThat(engine.status("unserved-scheme").orElseThrow().problem()).contains("sqs");
      assertThat(engine.status("fine").orElseThrow().problem()).isNull();
    }
  }

  // ------------------------------------------------------------------ bugs 3 and 4

  @Test
  @DisplayName("consumerLag: from the committed offset to the log end, so undelivered messages count while nothing is committed")
  void consumerLagIsCommittedToLogEnd() throws Exception {
    String t = topic(kafka, "lag", 1);
    CountDownLatch release = new CountDownLatch(1);
    receiver.respondWith((n, r) -> {
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Response.ok();
    });
    try (Webhookd engine = engine(kafka).requestTimeout(Duration.ofSeconds(30)).build()) {
      Subscription s = engine.subscribe(spec(t).build());
      kafka.produce(t, jsonMessages(t, 0, 20));
      await().atMost(Duration.ofSeconds(30)).until(() -> Long.valueOf(20).equals(engine.status(s.id()).orElseThrow().consumerLag()));
      release.countDown();
      receiver.awaitDeliveredCount(20, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(0).equals(engine.status(s.id()).orElseThrow().consumerLag()));
    }
  }

  @Test
  @DisplayName("isRunning is true from the moment a subscription is accepted (subscribe, update, build), false once it stops; a closed engine throws EngineClosedException")
  void isRunningAndClosedEngine() {
    String t = topic(kafka, "running", 1);
    SubscriptionStore store = SubscriptionStore.inMemory();
    Subscription s;
    Webhookd engine = engine(kafka).store(store).build();
    try {
      s = engine.subscribe(spec(t).build());
      assertThat(engine.isRunning(s.id())).isTrue();
      Subscription updated = engine.update(s.id(), s.spec().toBuilder().name("renamed").build());
      assertThat(engine.isRunning(s.id())).isTrue();
      engine.update(s.id(), updated.spec().toBuilder().active(false).build());
      assertThat(engine.isRunning(s.id())).isFalse();
      engine.update(s.id(), updated.spec());
      assertThat(engine.isRunning(s.id())).isTrue();
    } finally {
      engine.close();
    }
    try (Webhookd again = engine(kafka).store(store).build()) {
      assertThat(again.isRunning(s.id())).isTrue();
      assertThat(again.unsubscribe(s.id())).isTrue();
      assertThat(again.isRunning(s.id())).isFalse();
    }
    assertThatThrownBy(() -> engine.subscribe(spec(t).build())).isInstanceOf(EngineClosedException.class);
  }

  // ------------------------------------------------------------------ pluggable SPIs

  @Test
  @DisplayName("a custom Retrier (Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h) decides when a failed batch is retried")
  void customRetrierSchedulesRetries() {
    String t = topic(kafka, "svix", 1);
    List<Duration> svix = List.of(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2),
        Duration.ofHours(5), Duration.ofHours(10));
    Retrier schedule = retry -> svix.get(Math.min(retry, svix.size()) - 1);
    List<Long> retryIn = new CopyOnWriteArrayList<>();
    receiver.failFirst(2, 503);
    try (Webhookd engine = engine(kafka).retriers(s -> schedule).listener(new SubscriptionListener() {
      @Override
      public void batchFailed(String id, String batchId, int attempt, DeliveryResult r, long retryInMillis) {
        retryIn.add(retryInMillis);
      }
    }).build()) {
      engine.subscribe(spec(t).maxRetries(5).build());
      kafka.produce(t, jsonMessages(t, 0, 1));
      await().atMost(Duration.ofSeconds(30)).until(() -> retryIn.size() == 2);
    }
    assertThat(retryIn).containsExactly(5_000L, 300_000L);
    List<ReceivedRequest> rs = receiver.requests();
    assertThat(rs).hasSize(2);
    assertThat(Duration.between(rs.get(0).receivedAt(), rs.get(1).receivedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(4900));
  }

  @Test
  @DisplayName("a custom Batcher that closes batches by total bytes: no request carries more than its 2 KB of messages")
  void customBatcherClosesBatchesByBytes() {
    String t = topic(kafka, "by-bytes", 1);
    kafka.produce(t, jsonMessages(t, 0, 100)); // about 45 bytes of value, 200 bytes of wire-format object each
    try (Webhookd engine = engine(kafka).batchers(s -> Batcher.bytesOrAge(2048, 1000, Duration.ofSeconds(5).toNanos())).build()) {
      engine.subscribe(spec(t).maxBatchSize(1000).build());
      receiver.awaitDeliveredCount(100, Duration.ofSeconds(30));
    }
    List<ReceivedRequest> rs = receiver.requests();
    assertThat(rs.size()).as("requests: the default batcher would send one of 100").isGreaterThan(5);
    assertThat(rs).allSatisfy(r -> assertThat(r.body().length).isLessThan(2048 + 200));
    assertThat(rs.subList(0, rs.size() - 1)).allSatisfy(r -> assertThat(r.body().length).isGreaterThan(2048 - 400));
  }

  @Test
  @DisplayName("destinations per URL scheme: memory: URLs go to the application's own destination, http to the HTTP transport; an unserved scheme is refused")
  void destinationsPerScheme() {
    String t = topic(kafka, "schemes", 1);
    InMemoryDestination memory = InMemoryDestination.create();
    try (Webhookd engine = engine(kafka).destination("memory", memory).build()) {
      engine.subscribe(spec(t).name("in memory").webhookUrl("memory:orders").build());
      engine.subscribe(spec(t).name("over http").build());
      kafka.produce(t, jsonMessages(t, 0, 5));
      receiver.awaitDeliveredCount(5, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(30)).until(() -> memory.requests().stream().mapToInt(r -> countMessages(r.body())).sum() == 5);
      assertThat(memory.requests()).allSatisfy(r -> assertThat(r.url()).isEqualTo(URI.create("memory:orders")));
      assertThatThrownBy(() -> engine.subscribe(spec(t).webhookUrl("sqs://queue/orders").build()))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.problems()).singleElement()
              .satisfies(p -> {
                assertThat(p.field()).isEqualTo("destination.webhook.url");
                assertThat(p.message()).contains("\"sqs\"").contains("http, https, memory");
              }));
    }
  }

  private static int countMessages(byte[] body) {
    return io.webhookd.WebhookBatch.parse(body).messages().size();
  }
}
