package io.webhookd.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What an HTTP {@link WebhookDestination} must do, on top of what every destination must ({@link
 * WebhookDestinationContract}): the response handling of webhookd's wire contract (2xx is
 * success; 3xx is returned, not followed; 4xx is not retryable; 5xx and 429 are, with {@code
 * Retry-After} in the result; timeouts, resets and refused connections are retryable failures;
 * the response body is read up to a cap) and the request as it arrives (a POST with every header
 * and exactly the body). Each test is one clause, exercised against a real HTTP server ({@link
 * MockWebServer}) on 127.0.0.1.
 *
 * <pre>{@code
 * class JdkHttpDestinationTest extends HttpWebhookDestinationContract {
 *   @Override
 *   protected WebhookDestination createDestination() {
 *     return JdkHttpDestination.builder().allowPrivateDestinations(true).build();
 *   }
 * }
 * }</pre>
 *
 * <p>No test asserts wall-clock durations: a slow machine passes, a destination that never
 * completes fails (every wait is bounded by {@link #AWAIT}).
 */
public abstract class HttpWebhookDestinationContract extends WebhookDestinationContract {

  /** The webhook receiver, on 127.0.0.1; answers 200 to every request nothing was enqueued for. */
  protected MockWebServer server;

  private final List<byte[]> received = new ArrayList<>();

  /**
   * A new destination; called once before each test. It must be allowed to reach loopback
   * addresses (127.0.0.1), where the test server listens.
   */
  @Override
  protected abstract WebhookDestination createDestination();

  /**
   * The most bytes of a response body the destination under test keeps (its excerpt cap). The
   * default is 16 KiB; override when the implementation's cap differs.
   */
  protected int responseBodyCap() {
    return 16 * 1024;
  }

  @Override
  protected URI deliverableUrl() {
    return url("/hook");
  }

  /** The bodies of the requests the test server received, in order. */
  @Override
  protected List<byte[]> deliveredBodies() {
    try {
      RecordedRequest r;
      while ((r = server.takeRequest(0, TimeUnit.SECONDS)) != null) {
        received.add(r.getBody() == null ? new byte[0] : r.getBody().toByteArray());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return List.copyOf(received);
  }

  /** A port of 127.0.0.1 where nothing listens. */
  @Override
  protected URI undeliverableUrl() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/hook");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @BeforeEach
  void startServer() throws IOException {
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(new MockResponse.Builder().code(200).build());
    server.setDispatcher(dispatcher);
    server.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  @AfterEach
  void closeServer() {
    if (server != null) {
      server.close();
    }
  }

  // ---- responses --------------------------------------------------------------------------------

  @Test
  @DisplayName("a 2xx is a success, with the status, the response headers and the start of the body")
  void twoHundredIsSuccessWithStatusHeadersAndBody() {
    server.enqueue(
        new MockResponse.Builder().code(201).addHeader("X-Reply", "yes").body("thanks").build());

    DeliveryResult result = await(destination.send(request(url("/hook"))));

    assertThat(result.isSuccess()).isTrue();
    assertThat(result.statusCode()).isEqualTo(201);
    assertThat(result.header("x-reply")).contains("yes");
    assertThat(result.header("X-REPLY")).contains("yes");
    assertThat(result.headers().keySet()).allSatisfy(name -> assertThat(name).isLowerCase());
    assertThat(result.bodyExcerpt()).isEqualTo("thanks");
    assertThat(result.failure()).isNull();
    assertThat(result.retryable()).isFalse();
  }

  @Test
  @DisplayName("the request arrives as a POST to the URL's path and query, with every given header and exactly the given body")
  void requestArrivesAsPostWithHeadersAndExactBody() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).build());
    byte[] body = "{\"subscription_id\":\"s-1\",\"messages\":[{\"value\":\"żółw €\"}]}".getBytes(UTF_8);
    List<DeliveryRequest.Header> headers =
        List.of(
            new DeliveryRequest.Header("Content-Type", "application/json"),
            new DeliveryRequest.Header("webhook-id", "batch-42"),
            new DeliveryRequest.Header("webhook-timestamp", "1764400000"),
            new DeliveryRequest.Header("Authorization", "Bearer secret-token"));

    DeliveryResult result =
        await(
            destination.send(
                new DeliveryRequest(
                    "s-1", "batch-42", url("/hook/in?tenant=a%20b"), headers, body, REQUEST_TIMEOUT)));

    assertThat(result.isSuccess()).isTrue();
    RecordedRequest received = server.takeRequest(AWAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(received).isNotNull();
    assertThat(received.getMethod()).isEqualTo("POST");
    assertThat(received.getTarget()).isEqualTo("/hook/in?tenant=a%20b");
    assertThat(received.getHeaders().get("Content-Type")).isEqualTo("application/json");
    assertThat(received.getHeaders().get("webhook-id")).isEqualTo("batch-42");
    assertThat(received.getHeaders().get("webhook-timestamp")).isEqualTo("1764400000");
    assertThat(received.getHeaders().get("Authorization")).isEqualTo("Bearer secret-token");
    URI sentTo = url("/");
    assertThat(received.getHeaders().get("Host")).isEqualTo(sentTo.getHost() + ":" + sentTo.getPort());
    assertThat(received.getBody()).isNotNull();
    assertThat(received.getBody().toByteArray()).isEqualTo(body);
  }

  @Test
  @DisplayName("a 3xx is returned as the response: the redirect is not followed")
  void redirectIsReturnedNotFollowed() {
    server.enqueue(
        new MockResponse.Builder()
            .code(302)
            .addHeader("Location", url("/elsewhere").toString())
            .build());
    server.enqueue(new MockResponse.Builder().code(200).body("followed").build());

    DeliveryResult result = await(destination.send(request(url("/hook"))));

    assertThat(result.statusCode()).isEqualTo(302);
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.header("location")).contains(url("/elsewhere").toString());
    assertThat(server.getRequestCount()).as("requests received, the Location never").isEqualTo(1);
  }

  @Test
  @DisplayName("a 4xx is a response that is not retryable")
  void clientErrorIsNotRetryable() {
    server.enqueue(new MockResponse.Builder().code(400).body("{\"error\":\"bad\"}").build());

    DeliveryResult result = await(destination.send(request(url("/hook"))));

    assertThat(result.statusCode()).isEqualTo(400);
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.retryable()).isFalse();
    assertThat(result.failure()).isNull();
    assertThat(result.bodyExcerpt()).isEqualTo("{\"error\":\"bad\"}");
  }

  @Test
  @DisplayName("a 5xx is a response that is retryable")
  void serverErrorIsRetryable() {
    server.enqueue(new MockResponse.Builder().code(503).body("down").build());

    DeliveryResult result = await(destination.send(request(url("/hook"))));

    assertThat(result.statusCode()).isEqualTo(503);
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.retryable()).isTrue();
    assertThat(result.failure()).isNull();
    assertThat(result.bodyExcerpt()).isEqualTo("down");
  }

  @Test
  @DisplayName("a 429 is retryable and its Retry-After header is in the result")
  void tooManyRequestsExposesRetryAfter() {
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "7").build());

    DeliveryResult result = await(destination.send(request(url("/hook"))));

    assertThat(result.statusCode()).isEqualTo(429);
    assertThat(result.retryable()).isTrue();
    assertThat(result.header("Retry-After")).contains("7");
  }

  // ---- failures ---------------------------------------------------------------------------------

  @Test
  @DisplayName("a response slower than the request timeout is a retryable failure (the send completes, it does not hang)")
  void slowResponseTimesOutAsRetryableFailure() {
    server.enqueue(
        new MockResponse.Builder().code(200).headersDelay(60, TimeUnit.SECONDS).build());

    DeliveryResult result =
        await(destination.send(request(url("/slow"), Duration.ofMillis(300))));

    assertThat(result.statusCode()).isEqualTo(-1);
    assertThat(result.failure()).isNotNull();
    assertThat(result.retryable()).isTrue();
  }

  @Test
  @DisplayName("a response body that stalls past the request timeout is a retryable failure")
  void stallingBodyTimesOutAsRetryableFailure() {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .body("late")
            .bodyDelay(60, TimeUnit.SECONDS)
            .build());

    DeliveryResult result =
        await(destination.send(request(url("/slow-body"), Duration.ofMillis(300))));

    assertThat(result.isSuccess()).isFalse();
    assertThat(result.failure()).isNotNull();
    assertThat(result.retryable()).isTrue();
  }

  @Test
  @DisplayName("a connection closed mid-response is a retryable failure")
  void disconnectMidResponseIsRetryableFailure() {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .body("x".repeat(1000))
            .onResponseBody(new SocketEffect.CloseSocket())
            .build());

    DeliveryResult result = await(destination.send(request(url("/reset"))));

    assertThat(result.isSuccess()).isFalse();
    assertThat(result.failure()).isNotNull();
    assertThat(result.retryable()).isTrue();
  }

  @Test
  @DisplayName("a connection closed before any response is a retryable failure")
  void disconnectBeforeResponseIsRetryableFailure() {
    server.enqueue(
        new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());

    DeliveryResult result = await(destination.send(request(url("/reset"))));

    assertThat(result.statusCode()).isEqualTo(-1);
    assertThat(result.failure()).isNotNull();
    assertThat(result.retryable()).isTrue();
  }

  @Test
  @DisplayName("a huge response body: the excerpt is at most the cap and the send completes without reading it all")
  void hugeBodyIsCappedAndNotReadToTheEnd() {
    long total = 50L * 1024 * 1024;
    AtomicLong written = new AtomicLong();
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .body(new StreamingBody(total, written))
            .build());

    DeliveryResult result = await(destination.send(request(url("/huge"))));

    assertThat(result.statusCode()).isEqualTo(200);
    assertThat(result.bodyExcerpt().length()).isLessThanOrEqualTo(responseBodyCap());
    assertThat(result.bodyExcerpt()).matches("x*");
    assertThat(written.get()).as("bytes the server managed to write").isLessThan(total);
  }

  @Test
  @DisplayName("a refused connection (nothing listens on the port) is a retryable failure")
  void connectionRefusedIsRetryableFailure() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = socket.getLocalPort();
    }

    DeliveryResult result =
        await(destination.send(request(URI.create("http://127.0.0.1:" + closedPort + "/hook"))));

    assertThat(result.statusCode()).isEqualTo(-1);
    assertThat(result.failure()).isNotNull();
    assertThat(result.retryable()).isTrue();
  }

  @Test
  @DisplayName("send never throws: unusable URLs and unreachable ports end in failed results")
  void sendNeverThrows() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = socket.getLocalPort();
    }
    List<URI> urls =
        List.of(
            URI.create("ftp://127.0.0.1:" + closedPort + "/hook"),
            URI.create("http:///no-host"),
            URI.create("http://127.0.0.1:" + closedPort + "/hook"),
            URI.create("https://127.0.0.1:" + closedPort + "/hook"));
    List<CompletableFuture<DeliveryResult>> futures = new ArrayList<>();

    for (URI url : urls) {
      assertThatCode(() -> futures.add(destination.send(request(url))))
          .as("send(%s)", url)
          .doesNotThrowAnyException();
    }

    assertThat(futures).hasSize(urls.size());
    for (CompletableFuture<DeliveryResult> f : futures) {
      DeliveryResult result = await(f);
      assertThat(result.isSuccess()).isFalse();
      assertThat(result.failure()).isNotNull();
    }
  }

  @Test
  @DisplayName("close completes requests in flight with failures")
  void closeCompletesInFlightRequests() {
    server.enqueue(
        new MockResponse.Builder().code(200).headersDelay(60, TimeUnit.SECONDS).build());
    CompletableFuture<DeliveryResult> inFlight =
        destination.send(request(url("/slow"), Duration.ofSeconds(60)));
    awaitility().until(() -> server.getRequestCount() == 1);

    destination.close();

    DeliveryResult result = await(inFlight);
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.failure()).isNotNull();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** {@code path} on the test server. */
  protected URI url(String path) {
    return server.url(path).uri();
  }

  /** A request with a small JSON body, the usual headers and {@link #REQUEST_TIMEOUT}. */
  protected static DeliveryRequest request(URI url) {
    return request(url, REQUEST_TIMEOUT);
  }

  /** A request with a small JSON body and the usual headers. */
  protected static DeliveryRequest request(URI url, Duration timeout) {
    return new DeliveryRequest(
        "s-1",
        "batch-1",
        url,
        List.of(
            new DeliveryRequest.Header("Content-Type", "application/json"),
            new DeliveryRequest.Header("webhook-id", "batch-1")),
        "{\"messages\":[]}".getBytes(UTF_8),
        timeout);
  }

  private static org.awaitility.core.ConditionFactory awaitility() {
    return org.awaitility.Awaitility.await().atMost(AWAIT);
  }

  /** Streams {@code total} bytes of 'x', counting what was written. */
  private static final class StreamingBody implements MockResponseBody {
    private final long total;
    private final AtomicLong written;

    StreamingBody(long total, AtomicLong written) {
      this.total = total;
      this.written = written;
    }

    @Override
    public long getContentLength() {
      return total;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      byte[] chunk = "x".repeat(8192).getBytes(UTF_8);
      while (written.get() < total) {
        sink.write(chunk);
        sink.flush();
        written.addAndGet(chunk.length);
      }
    }
  }
}
