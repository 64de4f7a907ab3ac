package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.ActivityEvent;
import io.webhookd.ConflictException;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WebhookReceiver.Response;
import io.webhookd.testkit.WithKafka;
import io.webhookd.testsupport.PostgresSchema;
import io.webhookd.testsupport.RequiresPostgres;
import io.webhookd.testsupport.TestPostgres;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithKafka
class ScaleOutTest {
  private final KafkaCluster kafka;
  private WebhookReceiver receiver;
  /** The PostgreSQL tests' schema, which both of their engines share. */
  private @Nullable PostgresSchema schema;

  ScaleOutTest(KafkaCluster kafka) {
    this.kafka = kafka;
  }

  @BeforeEach
  void setUp() {
    receiver = WebhookReceiver.start();
  }

  @AfterEach
  void tearDown() {
    receiver.close();
    if (schema != null) {
      schema.close();
    }
  }

  private SubscriptionSpec.Builder spec(String topic) {
    return SubscriptionSpec.builder()
        .name("scale-out")
        .webhookUrl(receiver.url().toString())
        .header("Authorization", "Bearer top-secret-token")
        .source(topic)
        .maxBatchSize(50)
        .maxBatchInterval(Duration.ofMillis(100))
        .retryInitialDelay(Duration.ofMillis(50))
        .retryMaxDelay(Duration.ofMillis(500));
  }

  /** A store in the test's schema, a new one on the first call. */
  private JdbcSubscriptionStore postgres(TestPostgres postgres, String key) {
    if (schema == null) {
      schema = postgres.newSchema();
    }
    return JdbcSubscriptionStore.builder().jdbcUrl(schema.jdbcUrl()).encryptionKey(key).build();
  }

  private static String newKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  @Test
  @DisplayName("restart with the H2 file: subscriptions, status and offline state come back; delivery resumes with none missing")
  void restartWithH2File(@TempDir Path dir) {
    String t = topic(kafka, "h2-restart", 2);
    Subscription s;
    try (Webhookd engine = engine(kafka).store(JdbcSubscriptionStore.h2(dir)).build()) {
      s = engine.subscribe(spec(t).build());
      kafka.produce(t, jsonMessages(t, 0, 300));
      receiver.awaitDeliveredCount(300, Duration.ofSeconds(60));
      engine.setOnline(false, "planned restart");
    }
    kafka.produce(t, jsonMessages(t, 300, 300));
    try (Webhookd engine = engine(kafka).store(JdbcSubscriptionStore.h2(dir)).build()) {
      assertThat(engine.list()).extracting(Subscription::id).containsExactly(s.id());
      assertThat(engine.get(s.id()).orElseThrow().spec()).isEqualTo(s.spec());
      assertThat(engine.adminStatus().state().online()).isFalse();
      assertThat(engine.adminStatus().state().offlineMessage()).isEqualTo("planned restart");
      assertThat(engine.isRunning(s.id())).isFalse();
      List<ActivityEvent> activity = engine.status(s.id()).orElseThrow().recentActivity();
      assertThat(activity).anySatisfy(e -> assertThat(e.responseCode()).isEqualTo(200));
      assertThat(activity).allSatisfy(e -> assertThat(String.join("|", e.requestHeaders())).doesNotContain("top-secret-token"));
      assertThat(engine.status(s.id()).orElseThrow().details().delivered()).isEqualTo(300);

      engine.setOnline(true, null);
      receiver.awaitDeliveredCount(600, Duration.ofSeconds(60));
    }
    assertThat(receiver.uniqueDeliveredIds()).hasSize(600);
  }

  @Test
  @RequiresPostgres
  @DisplayName("two engines on one PostgreSQL: a subscription of parallelism 2 runs on both; one engine closed mid-stream; none missing")
  void twoEnginesShareTheWork(TestPostgres postgres) {
    String t = topic(kafka, "shared-pg", 6);
    String key = newKey();
    receiver.respondWith((n, req) -> Response.ok().withDelay(Duration.ofMillis(10)));
    Webhookd a = engine(kafka).store(postgres(postgres, key)).storePollInterval(Duration.ofMillis(500)).build();
    try (Webhookd b = engine(kafka).store(postgres(postgres, key)).storePollInterval(Duration.ofMillis(500)).build()) {
      Subscription s = a.subscribe(spec(t).parallelism(2).build());
      await().atMost(Duration.ofSeconds(30)).until(() -> a.isRunning(s.id()) && b.isRunning(s.id()));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(a.status(s.id()).orElseThrow().engines()).containsExactlyInAnyOrder(a.engineId(), b.engineId()));

      kafka.produce(t, jsonMessages(t, 0, 3000));
      await().atMost(Duration.ofSeconds(60)).until(() -> receiver.uniqueDeliveredIds().size() > 600);
      a.close();
      kafka.produce(t, jsonMessages(t, 3000, 1000));
      receiver.awaitDeliveredCount(4000, Duration.ofSeconds(120));
      assertThat(b.status(s.id()).orElseThrow().recentActivity()).isNotEmpty();
    } finally {
      a.close();
    }
    assertThat(receiver.uniqueDeliveredIds()).hasSize(4000);
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  @Test
  @RequiresPostgres
  @DisplayName("two engines on one PostgreSQL: an update on one is seen by the other; concurrent updates: one wins, one conflicts")
  void updatesPropagateAndConflict(TestPostgres postgres) throws Exception {
    String t = topic(kafka, "conflict-pg", 1);
    String key = newKey();
    try (Webhookd a = engine(kafka).store(postgres(postgres, key)).storePollInterval(Duration.ofMillis(500)).build();
        Webhookd b = engine(kafka).store(postgres(postgres, key)).storePollInterval(Duration.ofMillis(500)).build()) {
      Subscription s = a.subscribe(spec(t).parallelism(2).build());
      Subscription renamed = a.update(s.id(), s.spec().toBuilder().name("renamed").build(), s.version());
      assertThat(renamed.version()).isEqualTo(2);
      assertThat(b.get(s.id()).orElseThrow().spec().name()).isEqualTo("renamed");
      await().atMost(Duration.ofSeconds(30)).until(() -> b.isRunning(s.id()));

      List<CompletableFuture<Object>> both = new ArrayList<>();
      both.add(CompletableFuture.supplyAsync(() -> attempt(() -> a.update(s.id(), renamed.spec().toBuilder().maxBatchSize(7).build(), 2))));
      both.add(CompletableFuture.supplyAsync(() -> attempt(() -> b.update(s.id(), renamed.spec().toBuilder().maxBatchSize(9).build(), 2))));
      List<Object> outcomes = new ArrayList<>();
      for (CompletableFuture<Object> f : both) {
        outcomes.add(f.get());
      }
      assertThat(outcomes).filteredOn(o -> o instanceof Subscription).hasSize(1);
      assertThat(outcomes).filteredOn(o -> o instanceof ConflictException).hasSize(1);
      Subscription winner = (Subscription) outcomes.stream().filter(o -> o instanceof Subscription).findFirst().orElseThrow();
      assertThat(a.get(s.id()).orElseThrow().spec().batching().maxBatchSize()).isEqualTo(winner.spec().batching().maxBatchSize());
      assertThat(b.get(s.id()).orElseThrow().version()).isEqualTo(3);
    }
  }

  private static Object attempt(java.util.function.Supplier<Object> update) {
    try {
      return update.get();
    } catch (RuntimeException e) {
      return e;
    }
  }
}
