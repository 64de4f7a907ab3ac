package io.webhookd.it;

import static io.webhookd.it.EngineFixture.engine;
import static io.webhookd.it.EngineFixture.jsonMessages;
import static io.webhookd.it.EngineFixture.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.webhookd.Problem;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.ValidationException;
import io.webhookd.Webhookd;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.ReceivedRequest;
import java.nio.charset.StandardCharsets;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FeaturesTest extends ReceiverTestBase {

  FeaturesTest(KafkaCluster kafka) {
    super(kafka);
  }

  /** Standard Webhooks verification written from the specification, independent of webhookd's signer. */
  static boolean verify(String secret, ReceivedRequest r) throws Exception {
    String id = r.header("webhook-id").orElse(null);
    String ts = r.header("webhook-timestamp").orElse(null);
    String sigHeader = r.header("webhook-signature").orElse(null);
    if (id == null || ts == null || sigHeader == null) {
      return false;
    }
    if (Math.abs(Instant.now().getEpochSecond() - Long.parseLong(ts)) > 300) {
      return false;
    }
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
    byte[] expected = mac.doFinal((id + "." + ts + "." + new String(r.body(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
    for (String part : sigHeader.split(" ")) {
      String[] vs = part.split(",", 2);
      if (vs.length == 2 && vs[0].equals("v1") && MessageDigest.isEqual(Base64.getDecoder().decode(vs[1]), expected)) {
        return true;
      }
    }
    return false;
  }

  @Test
  @DisplayName("with a signing secret every request carries a Standard Webhooks signature that an independent verifier accepts")
  void signsRequests() throws Exception {
    String t = topic(kafka, "signed", 2);
    String secret = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    receiver.failFirst(1, 500);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(SubscriptionSpec.builder().name("signed").webhookUrl(receiver.url().toString())
          .header("X-Tenant", "acme").signingSecret(secret).source(t).maxBatchSize(25)
          .retryInitialDelay(Duration.ofMillis(10)).maxBatchInterval(Duration.ofMillis(50)).build());
      kafka.produce(t, jsonMessages(t, 0, 100));
      receiver.awaitDeliveredCount(100, Duration.ofSeconds(30));
    }
    assertThat(receiver.requests()).hasSizeGreaterThan(1);
    for (ReceivedRequest r : receiver.requests()) {
      assertThat(verify(secret, r)).as("signature of %s", r.batchId()).isTrue();
      assertThat(r.header("webhook-id")).contains(r.batchId());
      assertThat(r.header("content-type")).contains("application/json");
      assertThat(r.header("user-agent").orElseThrow()).startsWith("webhookd/");
      assertThat(r.header("x-tenant")).contains("acme");
    }
    String tampered = "whsec_" + Base64.getEncoder().encodeToString("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII));
    assertThat(verify(tampered, receiver.requests().get(0))).isFalse();
  }

  @Test
  @DisplayName("the rate limit spaces requests out")
  void rateLimits() {
    String t = topic(kafka, "limited", 1);
    try (Webhookd engine = engine(kafka).build()) {
      engine.subscribe(SubscriptionSpec.builder().name("limited").webhookUrl(receiver.url().toString()).source(t)
          .maxBatchSize(1).maxBatchInterval(Duration.ofMillis(1)).rateLimit(5.0).build());
      kafka.produce(t, jsonMessages(t, 0, 11));
      receiver.awaitDeliveredCount(11, Duration.ofSeconds(30));
    }
    List<ReceivedRequest> rs = receiver.requests();
    // the bucket holds one second's worth (5 requests) as a burst, then refills at 5 per second:
    // 11 requests need at least (11 - 5) / 5 = 1.2 s (without the limit they take a few ms);
    // 100 ms of slack for the receiver's clock readings
    assertThat(Duration.between(rs.get(0).receivedAt(), rs.get(rs.size() - 1).receivedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(1100));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"a backlog of full batches", "retries that are due"})
  @DisplayName("while the rate limiter has no token the consumer thread sleeps until the next one (no spinning)")
  void rateLimitedSubscriptionSleeps(String what) {
    String t = topic(kafka, "limited-cpu", 1);
    boolean retries = what.startsWith("retries");
    if (retries) {
      receiver.failFirst(3, 503); // each retry is due after 1 ms, long before the next token
    }
    try (Webhookd engine = engine(kafka).build()) {
      Subscription s = engine.subscribe(SubscriptionSpec.builder().name("limited-cpu").webhookUrl(receiver.url().toString())
          .source(t).maxBatchSize(1).maxBatchInterval(Duration.ofMillis(1)).rateLimit(0.5)
          .retryInitialDelay(Duration.ofMillis(1)).retryMaxDelay(Duration.ofMillis(1)).build());
      kafka.produce(t, jsonMessages(t, 0, 5));
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requestCount() >= 1);
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long thread = runnerThread(s.id());
      long cpuBefore = threads.getThreadCpuTime(thread);
      // two more tokens: about 4 s in which the thread has nothing to do but wait for them
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requestCount() >= 3);
      long cpuMillis = (threads.getThreadCpuTime(thread) - cpuBefore) / 1_000_000;
      // spinning costs the whole wait (seconds); sleeping costs a few ms per poll
      assertThat(cpuMillis).as("CPU time of the consumer thread while it waited for two tokens").isLessThan(500);
    }
    List<ReceivedRequest> rs = receiver.requests();
    // one token every 2 s (the first request's latency includes the connection's setup, so the
    // bound leaves it room)
    assertThat(Duration.between(rs.get(1).receivedAt(), rs.get(2).receivedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
    assertThat(Duration.between(rs.get(0).receivedAt(), rs.get(2).receivedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(3000));
  }

  private static long runnerThread(String subscriptionId) {
    String name = "webhookd-" + subscriptionId.substring(0, 8);
    return Thread.getAllStackTraces().keySet().stream().filter(th -> th.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no thread " + name)).getId();
  }

  @Test
  @DisplayName("metrics: consumed, filtered, delivered, attempts by outcome, latency and lag per subscription")
  void publishesMetrics() {
    String t = topic(kafka, "metered", 1);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    receiver.failFirst(1, 503);
    try (Webhookd engine = engine(kafka).meterRegistry(registry).build()) {
      Subscription s = engine.subscribe(SubscriptionSpec.builder().name("metered").webhookUrl(receiver.url().toString())
          .source(t, "value.region == 'eu'").maxBatchSize(10).maxBatchInterval(Duration.ofMillis(20))
          .retryInitialDelay(Duration.ofMillis(10)).build());
      kafka.produce(t, jsonMessages(t, 0, 40));
      receiver.awaitDeliveredCount(20, Duration.ofSeconds(30));
      String id = s.id();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(registry.get("webhookd.messages.consumed").tag("subscription", id).counter().count()).isEqualTo(40);
        assertThat(registry.get("webhookd.messages.filtered").tag("subscription", id).counter().count()).isEqualTo(20);
        assertThat(registry.get("webhookd.messages.delivered").tag("subscription", id).counter().count()).isEqualTo(20);
        assertThat(registry.get("webhookd.delivery.attempts").tags("subscription", id, "outcome", "http_error").timer().count()).isEqualTo(1);
        assertThat(registry.get("webhookd.delivery.attempts").tags("subscription", id, "outcome", "success").timer().count()).isPositive();
        assertThat(registry.get("webhookd.delivery.latency").tag("subscription", id).summary().count()).isEqualTo(20);
        assertThat(registry.get("webhookd.consumer.lag").tag("subscription", id).gauge().value()).isZero();
      });
    }
  }

  @Test
  @DisplayName("a listener that throws is logged and ignored; the others still hear every event")
  void throwingListenerIsIgnored() {
    String t = topic(kafka, "listeners", 1);
    AtomicInteger delivered = new AtomicInteger();
    SubscriptionListener bad = new SubscriptionListener() {
      @Override
      public void batchDelivered(String id, String batchId, int size, DeliveryResult r) {
        throw new IllegalStateException("boom");
      }
    };
    SubscriptionListener good = new SubscriptionListener() {
      @Override
      public void batchDelivered(String id, String batchId, int size, DeliveryResult r) {
        delivered.addAndGet(size);
      }
    };
    try (Webhookd engine = engine(kafka).listener(bad).listener(good).build()) {
      engine.subscribe(SubscriptionSpec.builder().name("l").webhookUrl(receiver.url().toString()).source(t)
          .maxBatchSize(5).maxBatchInterval(Duration.ofMillis(20)).build());
      kafka.produce(t, jsonMessages(t, 0, 30));
      receiver.awaitDeliveredCount(30, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(5)).until(() -> delivered.get() == 30);
    }
  }

  @Test
  @DisplayName("the SSRF guard refuses a loopback webhook at registration, naming the field")
  void refusesPrivateDestinations() {
    try (Webhookd engine = Webhookd.builder().bootstrapServers(kafka.bootstrapServers())
        .destination(JdkHttpDestination.create()).build()) {
      assertThatThrownBy(() -> engine.subscribe(SubscriptionSpec.builder().name("x")
              .webhookUrl("http://localhost:" + receiver.port() + "/x").source("t").build()))
          .isInstanceOfSatisfying(ValidationException.class, e ->
              assertThat(e.problems()).extracting(Problem::field).containsExactly("destination.webhook.url"));
      assertThat(engine.list()).isEmpty();
    }
  }
}
