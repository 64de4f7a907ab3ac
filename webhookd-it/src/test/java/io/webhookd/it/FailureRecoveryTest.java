package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.webhookd.ActivityEvent;
import io.webhookd.Health;
import io.webhookd.RetryAlgorithm;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.Webhookd;
import io.webhookd.internal.Engine;
import io.webhookd.spi.Alert;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WebhookReceiver.Response;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FailureRecoveryTest extends ReceiverTestBase {

  FailureRecoveryTest(KafkaCluster kafka) {
    super(kafka);
  }

  private SubscriptionSpec.Builder spec(String topic) {
    return SubscriptionSpec.builder()
        .name("retrying")
        .webhookUrl(receiver.url().toString())
        .source(topic)
        .maxBatchSize(20)
        .maxBatchInterval(Duration.ofMillis(50))
        .maxRetries(3)
        .retryAlgorithm(RetryAlgorithm.EXPONENTIAL_BACKOFF)
        .retryInitialDelay(Duration.ofMillis(20))
        .retryMaxDelay(Duration.ofMillis(200));
  }

  @ParameterizedTest(name = "HTTP {0} for a while")
  @ValueSource(ints = {500, 503, 429})
  @DisplayName("an endpoint failing for a while: everything delivered afterwards, nothing skipped, order kept")
  void deliversEverythingAfterFailures(int status) {
    String t = topic(kafka, "flaky", 2);
    receiver.failFirst(15, status);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(spec(t).build());
      kafka.produce(t, jsonMessages(t, 0, 400));
      receiver.awaitDeliveredCount(400, Duration.ofSeconds(60));
    }
    assertThat(receiver.requests()).filteredOn(r -> r.respondedStatus() == status).hasSize(15);
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
    // a failed batch is retried with the same webhook-id
    Set<String> failedIds = new HashSet<>();
    receiver.requests().stream().filter(r -> r.respondedStatus() == status).forEach(r -> failedIds.add(r.batchId()));
    Set<String> okIds = new HashSet<>();
    receiver.requests().stream().filter(r -> r.respondedStatus() == 200).forEach(r -> okIds.add(r.batchId()));
    assertThat(okIds).containsAll(failedIds);
  }

  @Test
  @DisplayName("429 with Retry-After: the retry waits at least as long as asked")
  void honoursRetryAfter() {
    String t = topic(kafka, "throttled", 1);
    receiver.respondWith((n, req) -> n == 1 ? Response.retryAfter(1) : Response.ok());
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(spec(t).build());
      kafka.produce(t, jsonMessages(t, 0, 5));
      receiver.awaitDeliveredCount(5, Duration.ofSeconds(30));
    }
    List<io.webhookd.testkit.ReceivedRequest> reqs = receiver.requests();
    assertThat(reqs.get(0).respondedStatus()).isEqualTo(429);
    assertThat(Duration.between(reqs.get(0).receivedAt(), reqs.get(1).receivedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(990));
  }

  @Test
  @DisplayName("an endpoint timing out for a while: delivered afterwards; duplicates only of batches whose success was lost")
  void deliversAfterTimeouts() {
    String t = topic(kafka, "slow", 1);
    receiver.respondWith((n, req) -> n <= 2 ? Response.ok().withDelay(Duration.ofSeconds(3)) : Response.ok());
    try (Webhookd engine = engine(kafka).requestTimeout(Duration.ofSeconds(1)).build()) {
      engine.subscribe(spec(t).build());
      kafka.produce(t, jsonMessages(t, 0, 100));
      receiver.awaitDeliveredCount(100, Duration.ofSeconds(60));
    }
    // the two slow requests were answered 200 after the client gave up: only their messages may repeat
    int slowMessages = receiver.requests().subList(0, 2).stream().mapToInt(r -> r.messages().size()).sum();
    assertThat(receiver.duplicateCount()).isLessThanOrEqualTo(slowMessages);
  }

  @Test
  @DisplayName("retries exhausted: unhealthy with an alert, still retried, nothing committed past it; recovery alerts too")
  void unhealthyThenRecovered() {
    String t = topic(kafka, "down", 1);
    List<Alert> alerts = new CopyOnWriteArrayList<>();
    AlertChannel channel = a -> {
      alerts.add(a);
      return CompletableFuture.completedFuture(null);
    };
    receiver.alwaysRespond(503);
    try (Webhookd engine = engine(kafka).alertChannel(channel).build()) {
      Subscription s = engine.subscribe(spec(t).maxRetries(2).alertEmails(List.of("ops@example.com")).build());
      kafka.produce(t, jsonMessages(t, 0, 10));
      await().atMost(Duration.ofSeconds(30)).until(() -> alerts.stream().anyMatch(a -> a.kind() == Alert.Kind.UNHEALTHY));
      SubscriptionStatus st = engine.status(s.id()).orElseThrow();
      assertThat(st.health()).isEqualTo(Health.UNHEALTHY);
      assertThat(st.recentActivity()).filteredOn(e -> e.type() == ActivityEvent.Type.API_CALL).first()
          .satisfies(e -> assertThat(e.responseCode()).isEqualTo(503));
      assertThat(kafka.committedOffsets(s.groupId())).isEmpty();
      Alert unhealthy = alerts.get(0);
      assertThat(unhealthy.recipients()).containsExactly("ops@example.com");
      assertThat(unhealthy.lastResponseCode()).isEqualTo(503);
      int attemptsSoFar = receiver.requestCount();
      // still retried while unhealthy
      await().atMost(Duration.ofSeconds(10)).until(() -> receiver.requestCount() > attemptsSoFar);

      receiver.alwaysRespond(200);
      receiver.awaitDeliveredCount(10, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(10)).until(() -> alerts.stream().anyMatch(a -> a.kind() == Alert.Kind.RECOVERED));
      assertThat(engine.status(s.id()).orElseThrow().health()).isEqualTo(Health.HEALTHY);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(kafka.committedOffsets(s.groupId()).values()).containsExactly(10L));
    }
  }

  @Test
  @DisplayName("one subscription's failing endpoint does not slow another's deliveries")
  void failingSubscriptionDoesNotBlockAnother() {
    String t = topic(kafka, "shared", 2);
    try (WebhookReceiver broken = WebhookReceiver.start();
        Webhookd engine = engine(kafka).build()) {
      broken.alwaysRespond(503);
      engine.subscribe(spec(t).name("broken").webhookUrl(broken.url().toString()).build());
      engine.subscribe(spec(t).name("fine").build());
      kafka.produce(t, jsonMessages(t, 0, 500));
      receiver.awaitDeliveredCount(500, Duration.ofSeconds(60));
      // the broken one is tried too (its first answer may come after the fine one delivered everything)
      await().atMost(Duration.ofSeconds(30)).until(() -> broken.requestCount() > 0);
      assertThat(broken.deliveredMessages()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"closed", "abandoned"})
  @DisplayName("an engine closed or abandoned mid-stream: a new engine resumes from the last commit, none missing")
  void resumesAfterEngineStops(String how) throws Exception {
    String t = topic(kafka, "resume-" + how, 3);
    SubscriptionStore store = SubscriptionStore.inMemory();
    // fast at first, then slow, so that the engine stops long before the stream's end
    receiver.respondWith((n, req) -> Response.ok().withDelay(Duration.ofMillis(n <= 10 ? 20 : 200)));
    kafka.produce(t, jsonMessages(t, 0, 3000));
    // the engine below the public builder: only the internal Engine can be abandoned as a dead process
    Engine first = Engines.on(kafka).store(store).requestTimeout(Duration.ofSeconds(5)).shutdownTimeout(Duration.ofSeconds(10)).start();
    first.subscribe(spec(t).maxBatchSize(50).build(), null);
    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.uniqueDeliveredIds().size() > 500);
    if (how.equals("closed")) {
      first.close();
    } else {
      first.abandonForTesting();
    }
    int deliveredByFirst = receiver.uniqueDeliveredIds().size();
    assertThat(deliveredByFirst).isLessThan(3000);
    try (Webhookd second = engine(kafka).store(store).build()) {
      receiver.awaitDeliveredCount(3000, Duration.ofSeconds(90));
    }
    assertThat(receiver.uniqueDeliveredIds()).hasSize(3000);
    DeliveryTest.assertOrderedPerPartition(receiver.deliveredMessages());
  }

  @Test
  @DisplayName("offline: no deliveries and inactive; online: deliveries resume with nothing missing")
  void offlineAndOnline() {
    String t = topic(kafka, "admin", 1);
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(spec(t).build());
      kafka.produce(t, jsonMessages(t, 0, 10));
      receiver.awaitDeliveredCount(10, Duration.ofSeconds(30));

      engine.setOnline(false, "maintenance until 10:00");
      assertThat(engine.isRunning(s.id())).isFalse();
      SubscriptionStatus st = engine.status(s.id()).orElseThrow();
      assertThat(st.health()).isEqualTo(Health.INACTIVE);
      assertThat(st.recentActivity().get(0).type()).isEqualTo(ActivityEvent.Type.INACTIVE);
      assertThat(st.recentActivity().get(0).message()).contains("maintenance until 10:00");
      assertThat(engine.adminStatus().state().online()).isFalse();
      kafka.produce(t, jsonMessages(t, 10, 10));
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> receiver.uniqueDeliveredIds().size() == 10);

      engine.setOnline(true, null);
      receiver.awaitDeliveredCount(20, Duration.ofSeconds(30));
      assertThat(engine.status(s.id()).orElseThrow().health()).isEqualTo(Health.HEALTHY);
    }
  }
}
