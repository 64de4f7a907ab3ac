package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WebhookReceiverTest {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final WebhookReceiver receiver = WebhookReceiver.start();

  @AfterEach
  void close() {
    receiver.close();
  }

  @Test
  @DisplayName("a posted batch is recorded with its headers, batch id and parsed messages")
  void recordsBatch() throws Exception {
    String body =
        """
        {"subscription_id": "sub-1", "batch_id": "batch-1", "messages": [
          {"topic": "orders", "partition": 0, "offset": 42, "timestamp": "2026-11-29T10:15:30.123Z",
           "key": "customer-7", "value": {"amount": 120}, "headers": {"trace-id": "t-1"}},
          {"topic": "orders", "partition": 1, "offset": 7, "timestamp": "2026-11-29T10:15:31.000Z",
           "key": null, "value": "%s", "value_encoding": "base64", "headers": {}}
        ]}
        """
            .formatted(Base64.getEncoder().encodeToString(new byte[] {0, 1, 2, (byte) 255}));

    HttpResponse<String> response = post(receiver.url(), body, "webhook-id", "batch-1");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(receiver.requests()).singleElement().satisfies(r -> {
      assertThat(r.path()).isEqualTo("/webhook");
      assertThat(r.respondedStatus()).isEqualTo(200);
      assertThat(r.batchId()).isEqualTo("batch-1");
      assertThat(r.header("Webhook-ID")).contains("batch-1");
      assertThat(r.headers()).containsKey("content-type");
      assertThat(r.bodyAsString()).isEqualTo(body);
      assertThat(r.messages()).hasSize(2);
    });
    ReceivedMessage first = receiver.deliveredMessages().get(0);
    assertThat(first.id()).isEqualTo("orders/0/42");
    assertThat(first.key()).isEqualTo("customer-7");
    assertThat(first.value().get("amount").asInt()).isEqualTo(120);
    assertThat(first.valueEncoding()).isNull();
    assertThat(first.headers()).containsEntry("trace-id", "t-1");
    ReceivedMessage second = receiver.deliveredMessages().get(1);
    assertThat(second.key()).isNull();
    assertThat(second.valueEncoding()).isEqualTo("base64");
    assertThat(second.valueBytes()).containsExactly(0, 1, 2, 255);
    assertThat(receiver.uniqueDeliveredIds()).containsExactly("orders/0/42", "orders/1/7");
  }

  @Test
  @DisplayName("failFirst answers the scripted status first, then 200; only 2xx batches count as delivered")
  void scriptedFailures() throws Exception {
    receiver.failFirst(2, 503);

    assertThat(post(receiver.url(), batch("b1", 1)).statusCode()).isEqualTo(503);
    assertThat(post(receiver.url(), batch("b1", 1)).statusCode()).isEqualTo(503);
    assertThat(receiver.deliveredMessages()).isEmpty();
    assertThat(post(receiver.url(), batch("b1", 1)).statusCode()).isEqualTo(200);

    assertThat(receiver.requests()).extracting(ReceivedRequest::respondedStatus).containsExactly(503, 503, 200);
    assertThat(receiver.uniqueDeliveredIds()).containsExactly("orders/0/1");
    assertThat(receiver.duplicateCount()).isZero();
  }

  @Test
  @DisplayName("retryAfter answers 429 with a Retry-After header")
  void retryAfter() throws Exception {
    receiver.respondWith((n, r) -> WebhookReceiver.Response.retryAfter(7));

    HttpResponse<String> response = post(receiver.url(), batch("b", 1));

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("retry-after")).contains("7");
  }

  @Test
  @DisplayName("alwaysRespond answers every request with the status, and reset returns to 200 with nothing recorded")
  void alwaysRespondAndReset() throws Exception {
    receiver.alwaysRespond(500);
    assertThat(post(receiver.url(), batch("a", 1)).statusCode()).isEqualTo(500);
    assertThat(post(receiver.url(), batch("a", 1)).statusCode()).isEqualTo(500);

    receiver.reset();

    assertThat(receiver.requests()).isEmpty();
    assertThat(post(receiver.url(), batch("a", 1)).statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("the same message delivered twice counts once as unique and once as a duplicate")
  void countsDuplicates() throws Exception {
    post(receiver.url(), batch("b1", 5));
    post(receiver.url(), batch("b2", 5));
    post(receiver.url(), batch("b3", 6));

    assertThat(receiver.deliveredMessages()).hasSize(3);
    assertThat(receiver.uniqueDeliveredIds()).containsExactly("orders/0/5", "orders/0/6");
    assertThat(receiver.duplicateCount()).isEqualTo(1);
  }

  @Test
  @DisplayName("a delayed response does not hold up a concurrent request")
  void delayDoesNotBlockOthers() throws Exception {
    CountDownLatch firstArrived = new CountDownLatch(1);
    receiver.respondWith(
        (n, r) -> {
          if (n == 1) {
            firstArrived.countDown();
            return WebhookReceiver.Response.delayed(Duration.ofMinutes(5));
          }
          return WebhookReceiver.Response.status(202);
        });
    CompletableFuture<HttpResponse<String>> slow =
        http.sendAsync(request(receiver.url(), batch("slow", 1)), HttpResponse.BodyHandlers.ofString());
    assertThat(firstArrived.await(30, TimeUnit.SECONDS)).as("first request arrived").isTrue();

    HttpResponse<String> fast = post(receiver.url(), batch("fast", 2));

    assertThat(fast.statusCode()).isEqualTo(202);
    assertThat(slow).isNotDone();
    assertThat(receiver.requests()).singleElement().extracting(ReceivedRequest::batchId).isEqualTo("fast");
    slow.cancel(true);
  }

  @Test
  @DisplayName("a body that is not a webhookd batch is recorded with no messages")
  void recordsNonBatchBody() throws Exception {
    assertThat(post(receiver.url("other"), "not json").statusCode()).isEqualTo(200);

    assertThat(receiver.requests()).singleElement().satisfies(r -> {
      assertThat(r.path()).isEqualTo("/other");
      assertThat(r.messages()).isEmpty();
      assertThat(r.batchId()).isNull();
      assertThat(r.bodyAsString()).isEqualTo("not json");
    });
  }

  @Test
  @DisplayName("awaitDeliveredCount returns once enough distinct messages arrived, and fails saying what arrived")
  void awaitDeliveredCount() throws Exception {
    post(receiver.url(), batch("b1", 1));
    post(receiver.url(), batch("b2", 2));

    assertThat(receiver.awaitDeliveredCount(2, Duration.ofSeconds(5))).hasSize(2);
    assertThatThrownBy(() -> receiver.awaitDeliveredCount(3, Duration.ofMillis(200)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("at least 3 distinct delivered messages")
        .hasMessageContaining("2 distinct delivered messages");
  }

  @Test
  @DisplayName("awaitDeliveredCount wakes up when a message arrives from another thread")
  void awaitWakesUp() {
    CompletableFuture<HttpResponse<String>> later =
        http.sendAsync(request(receiver.url(), batch("b1", 9)), HttpResponse.BodyHandlers.ofString());

    assertThat(receiver.awaitDeliveredCount(1, Duration.ofSeconds(30))).extracting(ReceivedMessage::id).containsExactly("orders/0/9");
    assertThat(later.join().statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("other methods than POST get 405 and are not recorded")
  void refusesGet() throws Exception {
    HttpResponse<String> response =
        http.send(HttpRequest.newBuilder(receiver.url()).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(receiver.requests()).isEmpty();
  }

  @Test
  @DisplayName("overlaps: a request of a partition arriving while another of it is unanswered is reported; one after the answer is not")
  void reportsOverlapsOfOnePartition() throws Exception {
    CountDownLatch first = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    receiver.respondWith((n, r) -> {
      if (n == 1) {
        first.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return WebhookReceiver.Response.ok();
    });
    CompletableFuture<HttpResponse<String>> held =
        http.sendAsync(request(receiver.url(), batch("held", 1)), HttpResponse.BodyHandlers.ofString());
    assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(post(receiver.url(), batch("other-partition", 2).replace("\"partition\": 0", "\"partition\": 1")).statusCode())
        .isEqualTo(200);
    assertThat(receiver.overlaps()).isEmpty();
    assertThat(post(receiver.url(), batch("same-partition", 3)).statusCode()).isEqualTo(200);
    assertThat(receiver.overlaps()).singleElement().asString().contains("same-partition [3..3]").contains("orders/0").contains("held [1..1]");
    release.countDown();
    assertThat(held.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(post(receiver.url(), batch("after", 4)).statusCode()).isEqualTo(200);
    assertThat(receiver.overlaps()).hasSize(1);
  }

  private static String batch(String batchId, long offset) {
    return """
        {"subscription_id": "s", "batch_id": "%s", "messages": [
          {"topic": "orders", "partition": 0, "offset": %d, "timestamp": "2026-11-29T10:15:30.123Z",
           "key": "k", "value": {"n": %d}, "headers": {}}]}
        """
        .formatted(batchId, offset, offset);
  }

  private HttpResponse<String> post(URI url, String body, String... headers) throws Exception {
    return http.send(request(url, body, headers), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest request(URI url, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url)
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b.build();
  }
}
