package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InMemoryDestinationTest {

  private final InMemoryDestination destination = InMemoryDestination.create();

  @AfterEach
  void close() {
    destination.close();
  }

  @Test
  @DisplayName("records every request and answers 200 by default")
  void recordsAndAnswersOk() throws Exception {
    DeliveryRequest request = request("b1", 3);

    DeliveryResult result = destination.send(request).get(10, TimeUnit.SECONDS);

    assertThat(result.statusCode()).isEqualTo(200);
    assertThat(result.isSuccess()).isTrue();
    assertThat(destination.requests()).containsExactly(request);
    assertThat(destination.uniqueDeliveredIds()).containsExactly("orders/0/3");
    assertThat(InMemoryDestination.parse(request).header("webhook-id")).contains("b1");
  }

  @Test
  @DisplayName("failFirst answers the scripted status to the first requests, then 200")
  void scriptedFailures() {
    destination.failFirst(2, 503);

    List<Integer> statuses =
        List.of(request("b", 1), request("b", 1), request("b", 1)).stream()
            .map(r -> destination.send(r).join().statusCode())
            .toList();

    assertThat(statuses).containsExactly(503, 503, 200);
    assertThat(destination.exchanges()).extracting(e -> e.result().retryable()).containsExactly(true, true, false);
    assertThat(destination.deliveredMessages()).hasSize(1);
  }

  @Test
  @DisplayName("futures complete on a thread of the destination, not the caller's")
  void completesAsynchronously() {
    AtomicReference<Thread> completedOn = new AtomicReference<>();
    destination.pauseResponses();
    CompletableFuture<DeliveryResult> f = destination.send(request("b", 1));
    CompletableFuture<Void> observed = f.thenRun(() -> completedOn.set(Thread.currentThread()));
    assertThat(f).isNotDone();

    destination.resumeResponses();
    observed.join();

    assertThat(completedOn.get()).isNotNull().isNotSameAs(Thread.currentThread());
    assertThat(completedOn.get().getName()).startsWith("in-memory-destination-");
  }

  @Test
  @DisplayName("paused responses stay incomplete until resumed, in order, with their scripted results")
  void pauseAndResume() {
    destination.failFirst(1, 500);
    destination.pauseResponses();
    CompletableFuture<DeliveryResult> first = destination.send(request("b", 1));
    CompletableFuture<DeliveryResult> second = destination.send(request("b", 1));

    assertThat(destination.requestCount()).isEqualTo(2);
    assertThat(first).isNotDone();
    assertThat(second).isNotDone();

    destination.resumeResponses();

    assertThat(first.join().statusCode()).isEqualTo(500);
    assertThat(second.join().statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("a delayed response is not complete before its delay")
  void delayedResponses() {
    destination.delayResponses(Duration.ofMinutes(5));

    CompletableFuture<DeliveryResult> f = destination.send(request("b", 1));

    assertThat(f).isNotDone();
    assertThat(destination.awaitRequests(1, Duration.ofSeconds(5))).hasSize(1);
  }

  @Test
  @DisplayName("checkUrl says what the configured check says")
  void checksUrls() {
    assertThat(destination.checkUrl(URI.create("http://127.0.0.1/"))).isNull();

    destination.checkUrlsWith(u -> u.getHost().equals("127.0.0.1") ? "loopback refused" : null);

    assertThat(destination.checkUrl(URI.create("http://127.0.0.1/"))).isEqualTo("loopback refused");
    assertThat(destination.checkUrl(URI.create("https://example.com/"))).isNull();
  }

  private static DeliveryRequest request(String batchId, long offset) {
    String body =
        "{\"subscription_id\":\"s\",\"batch_id\":\"" + batchId + "\",\"messages\":[{\"topic\":\"orders\","
            + "\"partition\":0,\"offset\":" + offset + ",\"timestamp\":\"2026-11-29T10:15:30.123Z\",\"key\":null,\"value\":1,\"headers\":{}}]}";
    return new DeliveryRequest(
        "s",
        batchId,
        URI.create("https://example.com/hook"),
        List.of(new DeliveryRequest.Header("Content-Type", "application/json"), new DeliveryRequest.Header("webhook-id", batchId)),
        body.getBytes(StandardCharsets.UTF_8),
        Duration.ofSeconds(10));
  }
}
