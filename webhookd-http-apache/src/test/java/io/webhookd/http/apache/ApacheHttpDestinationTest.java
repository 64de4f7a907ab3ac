package io.webhookd.http.apache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.http.common.AddressPolicy;
import io.webhookd.http.common.ForbiddenDestinationException;
import io.webhookd.http.common.Resolver;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import io.webhookd.testkit.HttpWebhookDestinationContract;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ApacheHttpDestination} against the destination contract, its options and its SSRF guard. */
class ApacheHttpDestinationTest extends HttpWebhookDestinationContract {

  @Override
  protected WebhookDestination createDestination() {
    return ApacheHttpDestination.builder().allowPrivateDestinations(true).build();
  }

  @Test
  @DisplayName("defaults: 5 s connect timeout, 16 KiB body cap, SSRF guard on")
  void defaults() {
    try (ApacheHttpDestination d = ApacheHttpDestination.create()) {
      assertThat(d.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
      assertThat(d.maxResponseBodyBytes()).isEqualTo(16 * 1024);
      assertThat(d.allowsPrivateDestinations()).isFalse();
    }
    assertThatThrownBy(() -> ApacheHttpDestination.builder().maxConnections(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxConnections must be at least 1, was 0");
    assertThatThrownBy(() -> ApacheHttpDestination.builder().connectTimeout(Duration.ZERO))
        .hasMessageContaining("connectTimeout must be positive");
  }

  @Test
  @DisplayName("the body cap is configurable, and a longer body does not stop the next request on a new connection")
  void bodyCap() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).body("0123456789abcdef").build());
    server.enqueue(new MockResponse.Builder().code(200).body("next").build());
    try (ApacheHttpDestination d = ApacheHttpDestination.builder().allowPrivateDestinations(true).maxResponseBodyBytes(10).build()) {
      DeliveryResult first = await(d.send(request(url("/a"))));
      DeliveryResult second = await(d.send(request(url("/b"))));

      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.bodyExcerpt()).isEqualTo("0123456789");
      assertThat(second.bodyExcerpt()).isEqualTo("next");
    }
  }

  @Test
  @DisplayName("HTTP/1.1 with keep-alive: a second request reuses the first one's connection")
  void reusesConnections() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).body("one").build());
    server.enqueue(new MockResponse.Builder().code(204).build());

    assertThat(await(destination.send(request(url("/a")))).bodyExcerpt()).isEqualTo("one");
    assertThat(await(destination.send(request(url("/b")))).statusCode()).isEqualTo(204);

    RecordedRequest first = server.takeRequest(30, TimeUnit.SECONDS);
    RecordedRequest second = server.takeRequest(30, TimeUnit.SECONDS);
    assertThat(first.getVersion()).isEqualTo("HTTP/1.1");
    assertThat(second.getConnectionIndex()).isEqualTo(first.getConnectionIndex());
  }

  @Test
  @DisplayName("headers the client manages (Host, Content-Length, Connection) are not taken from the request")
  void clientManagedHeaders() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).build());
    List<DeliveryRequest.Header> headers =
        List.of(
            new DeliveryRequest.Header("Host", "evil.example"),
            new DeliveryRequest.Header("Content-Length", "999"),
            new DeliveryRequest.Header("Connection", "close"),
            new DeliveryRequest.Header("Content-Type", "application/json"),
            new DeliveryRequest.Header("X-Kept", "yes"));

    DeliveryResult result =
        await(destination.send(new DeliveryRequest("s", "b", url("/h"), headers, new byte[] {1, 2, 3}, REQUEST_TIMEOUT)));

    assertThat(result.isSuccess()).isTrue();
    RecordedRequest received = server.takeRequest(30, TimeUnit.SECONDS);
    assertThat(received.getHeaders().get("Host")).isEqualTo(server.getHostName() + ":" + server.getPort());
    assertThat(received.getHeaders().get("Content-Length")).isEqualTo("3");
    assertThat(received.getHeaders().values("Content-Type")).containsExactly("application/json");
    assertThat(received.getHeaders().get("X-Kept")).isEqualTo("yes");
  }

  // ------------------------------------------------------------------ the SSRF guard

  /** A listener that counts the connections it accepts, to prove none was made. */
  private static final class Counting implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger accepted = new AtomicInteger();

    Counting() throws Exception {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      Thread t = new Thread(() -> {
        while (!socket.isClosed()) {
          try (Socket s = socket.accept()) {
            accepted.incrementAndGet();
          } catch (Exception e) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws Exception {
      socket.close();
    }
  }

  @ParameterizedTest(name = "{0} is refused without connecting")
  @ValueSource(strings = {"http://localhost:%d/hook", "http://127.0.0.1:%d/hook", "http://[::ffff:127.0.0.1]:%d/hook",
      "https://127.0.0.1:%d/hook"})
  void loopbackIsRefused(String template) throws Exception {
    try (Counting listener = new Counting(); ApacheHttpDestination guarded = ApacheHttpDestination.create()) {
      URI url = URI.create(String.format(template, listener.socket.getLocalPort()));

      DeliveryResult result = await(guarded.send(request(url)));

      assertThat(result.failure()).isInstanceOf(ForbiddenDestinationException.class).hasMessageContaining("loopback");
      assertThat(result.retryable()).isFalse();
      assertThat(guarded.checkUrl(url)).contains("loopback").contains("SSRF guard");
      assertThat(listener.accepted).hasValue(0);
    }
  }

  @ParameterizedTest(name = "{0} is refused")
  @ValueSource(strings = {"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/", "http://[fd00::1]/",
      "http://0.0.0.0/"})
  void privateAddressesAreRefused(String url) {
    try (ApacheHttpDestination guarded = ApacheHttpDestination.create()) {
      DeliveryResult result = await(guarded.send(request(URI.create(url))));

      assertThat(result.failure()).isInstanceOf(ForbiddenDestinationException.class);
      assertThat(result.retryable()).isFalse();
      assertThat(guarded.checkUrl(URI.create(url))).contains("SSRF guard");
    }
  }

  @Test
  @DisplayName("a DNS name that resolves to loopback is refused without connecting")
  void nameResolvingToLoopback() throws Exception {
    try (Counting listener = new Counting()) {
      Resolver dns = host -> new InetAddress[] {InetAddress.getByName("127.0.0.1")};
      URI url = URI.create("http://hooks.example.test:" + listener.socket.getLocalPort() + "/hook");
      try (ApacheHttpDestination guarded = ApacheHttpDestination.builder().resolver(dns).build()) {
        DeliveryResult result = await(guarded.send(request(url)));

        assertThat(result.failure())
            .isInstanceOf(ForbiddenDestinationException.class)
            .hasMessageContaining("hooks.example.test resolves to a private or loopback address")
            .hasMessageNotContaining("127.0.0.1");
        assertThat(guarded.checkUrl(url))
            .contains("hooks.example.test resolves to a private or loopback address")
            .doesNotContain("127.0.0.1");
      }
      assertThat(listener.accepted).hasValue(0);
    }
  }

  @Test
  @DisplayName("the connection goes to exactly the checked address with the original Host: a re-resolution (DNS rebinding) is never used")
  void pinnedToTheCheckedAddress() throws Exception {
    try (MockWebServer allowed = new MockWebServer(); Counting rebound = new Counting()) {
      allowed.start(InetAddress.getByName("127.0.0.1"), 0);
      allowed.enqueue(new MockResponse.Builder().code(200).body("pinned").build());
      AtomicInteger lookups = new AtomicInteger();
      // first answer allowed (127.0.0.1); any later answer would be refused (127.0.0.2)
      Resolver rebinding =
          host -> new InetAddress[] {InetAddress.getByName(lookups.getAndIncrement() == 0 ? "127.0.0.1" : "127.0.0.2")};
      AddressPolicy onlyOne = a -> a.getHostAddress().equals("127.0.0.1") ? null : "forbidden test address";
      URI url = URI.create("http://rebind.test:" + allowed.getPort() + "/hook?x=1");
      try (ApacheHttpDestination guarded = ApacheHttpDestination.builder().resolver(rebinding).addressPolicy(onlyOne).build()) {
        DeliveryResult result = await(guarded.send(request(url)));

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.bodyExcerpt()).isEqualTo("pinned");
      }
      RecordedRequest received = allowed.takeRequest(30, TimeUnit.SECONDS);
      assertThat(received.getHeaders().get("Host")).isEqualTo("rebind.test:" + allowed.getPort());
      assertThat(received.getTarget()).isEqualTo("/hook?x=1");
      assertThat(lookups).hasValue(1);
      assertThat(rebound.accepted).hasValue(0);
    }
  }

  @Test
  @DisplayName("checkUrl refuses non-http(s) URLs, URLs without a host and URLs with user info; accepts a public address")
  void checkUrl() {
    try (ApacheHttpDestination guarded = ApacheHttpDestination.create()) {
      assertThat(guarded.checkUrl(URI.create("ftp://example.com/x"))).contains("absolute http or https URL");
      assertThat(guarded.checkUrl(URI.create("http:///x"))).contains("must have a host");
      assertThat(guarded.checkUrl(URI.create("http://user:pw@93.184.216.34/x"))).contains("user info");
      assertThat(guarded.checkUrl(URI.create("http://93.184.216.34/x"))).isNull();
    }
  }
}
