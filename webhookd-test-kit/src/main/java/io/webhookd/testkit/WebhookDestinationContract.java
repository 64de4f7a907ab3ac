package io.webhookd.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What every {@link WebhookDestination} must do, whatever it delivers over (HTTP, a queue, files):
 * the clauses of the interface's Javadoc. A destination's test extends this class and supplies
 * three things: {@link #createDestination()}, a URL it delivers to ({@link #deliverableUrl()}) and
 * what arrived at the far end ({@link #deliveredBodies()}). An HTTP destination extends {@link
 * HttpWebhookDestinationContract} instead, which adds the HTTP clauses (status codes, redirects,
 * timeouts, Retry-After, the response body cap) against a real HTTP server.
 *
 * <pre>{@code
 * class FileDestinationTest extends WebhookDestinationContract {
 *   @TempDir Path dir;
 *
 *   protected WebhookDestination createDestination() { return new FileDestination(dir); }
 *   protected URI deliverableUrl() { return URI.create("https://files.example/hook"); }
 *   protected List<byte[]> deliveredBodies() { return FileDestination.readAll(dir); }
 * }
 * }</pre>
 *
 * <p>No test asserts wall-clock durations: a slow machine passes, a destination that never
 * completes fails (every wait is bounded by {@link #AWAIT}).
 */
public abstract class WebhookDestinationContract {

  /** How long a test waits for a result before failing: generous, for busy machines. */
  protected static final Duration AWAIT = Duration.ofSeconds(30);

  /** The timeout of ordinary requests: long enough never to fire on a busy machine. */
  protected static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** The destination under test: fresh for each test, closed after it. */
  protected WebhookDestination destination;

  /** A new destination; called once before each test. */
  protected abstract WebhookDestination createDestination();

  /** A URL the destination under test delivers to successfully. */
  protected abstract URI deliverableUrl();

  /**
   * The bodies that arrived where the destination under test delivers (files written, messages
   * queued, requests received), in the order they arrived.
   */
  protected abstract List<byte[]> deliveredBodies();

  /**
   * A URL the destination cannot deliver to (a closed port, a missing queue), or {@code null} when
   * no such URL exists for it (then the clause that needs one is skipped).
   */
  protected @Nullable URI undeliverableUrl() {
    return null;
  }

  @BeforeEach
  void createDestinationUnderTest() throws Exception {
    destination = createDestination();
  }

  @AfterEach
  void closeDestinationUnderTest() {
    if (destination != null) {
      destination.close();
    }
  }

  @Test
  @DisplayName("a request to a deliverable URL completes with a success, and exactly its body arrives, once")
  void deliversExactlyTheBodyOnce() {
    byte[] body = "{\"subscription_id\":\"s-1\",\"messages\":[{\"value\":\"\u017c\u00f3\u0142w \u20ac\"}]}".getBytes(UTF_8);

    DeliveryResult result = await(destination.send(request(deliverableUrl(), "batch-1", body)));

    assertThat(result.isSuccess()).as("result %s", result).isTrue();
    assertConsistent(result);
    assertThat(deliveredBodies()).hasSize(1);
    assertThat(deliveredBodies().get(0)).isEqualTo(body);
  }

  @Test
  @DisplayName("sends from several threads at once all complete, and each body arrives once")
  void concurrentSendsAllComplete() throws Exception {
    int threads = 4;
    int perThread = 5;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<CompletableFuture<DeliveryResult>>> sent = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        for (int i = 0; i < perThread; i++) {
          String id = "batch-" + t + "-" + i;
          sent.add(pool.submit(() -> destination.send(request(deliverableUrl(), id, ("{\"batch_id\":\"" + id + "\"}").getBytes(UTF_8)))));
        }
      }
      for (Future<CompletableFuture<DeliveryResult>> f : sent) {
        DeliveryResult result = await(f.get(AWAIT.toSeconds(), TimeUnit.SECONDS));
        assertThat(result.isSuccess()).as("result %s", result).isTrue();
        assertConsistent(result);
      }
    } finally {
      pool.shutdownNow();
    }

    List<String> arrived = deliveredBodies().stream().map(b -> new String(b, UTF_8)).toList();
    assertThat(arrived).hasSize(threads * perThread).doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("send never throws: a request the destination cannot deliver ends in a failed result that says why")
  void undeliverableRequestEndsInFailedResult() {
    URI url = undeliverableUrl();
    Assumptions.assumeTrue(url != null, "this destination has no undeliverable URL");

    AtomicReference<CompletableFuture<DeliveryResult>> future = new AtomicReference<>();
    assertThatCode(() -> future.set(destination.send(request(url, "batch-1", "{}".getBytes(UTF_8))))).doesNotThrowAnyException();

    DeliveryResult result = await(future.get());
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.failure() != null || !result.bodyExcerpt().isEmpty() || result.statusCode() >= 300)
        .as("the result says why: %s", result)
        .isTrue();
    assertConsistent(result);
  }

  @Test
  @DisplayName("checkUrl accepts the URLs the destination delivers to, and never throws")
  void checkUrlAcceptsDeliverableUrls() {
    assertThat(destination.checkUrl(deliverableUrl())).isNull();
    for (URI odd : List.of(URI.create("ftp://example.com/x"), URI.create("http:///no-host"), URI.create("mailto:x@example.com"))) {
      assertThatCode(() -> destination.checkUrl(odd)).as("checkUrl(%s)", odd).doesNotThrowAnyException();
    }
  }

  @Test
  @DisplayName("a send after close does not throw; it completes with a failed result and delivers nothing")
  void sendAfterCloseFails() {
    destination.close();

    AtomicReference<CompletableFuture<DeliveryResult>> future = new AtomicReference<>();
    assertThatCode(() -> future.set(destination.send(request(deliverableUrl(), "batch-1", "{}".getBytes(UTF_8)))))
        .doesNotThrowAnyException();

    DeliveryResult result = await(future.get());
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.failure()).isNotNull();
    assertThat(deliveredBodies()).isEmpty();
  }

  @Test
  @DisplayName("close is idempotent")
  void closeIsIdempotent() {
    assertThatCode(
            () -> {
              destination.close();
              destination.close();
            })
        .doesNotThrowAnyException();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** A request with the usual headers and {@link #REQUEST_TIMEOUT}. */
  protected static DeliveryRequest request(URI url, String batchId, byte[] body) {
    return new DeliveryRequest(
        "s-1",
        batchId,
        url,
        List.of(new DeliveryRequest.Header("Content-Type", "application/json"), new DeliveryRequest.Header("webhook-id", batchId)),
        body,
        REQUEST_TIMEOUT);
  }

  /**
   * Waits (at most {@link #AWAIT}) for {@code future}, which must complete normally: a destination
   * reports every failure as a result.
   */
  protected static DeliveryResult await(CompletableFuture<DeliveryResult> future) {
    assertThat(future).succeedsWithin(AWAIT);
    return future.join();
  }

  /** What every result must be: a success is a 2xx without failure; no status means a failure. */
  protected static void assertConsistent(DeliveryResult result) {
    if (result.isSuccess()) {
      assertThat(result.failure()).as("failure of a success").isNull();
    }
    if (result.statusCode() < 0) {
      assertThat(result.failure()).as("failure of a result without a status").isNotNull();
    }
    assertThat(result.duration().isNegative()).as("negative duration").isFalse();
  }
}
