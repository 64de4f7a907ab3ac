package io.webhookd.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import io.webhookd.spi.WebhookDestinationProvider;
import io.webhookd.testkit.HttpWebhookDestinationContract;
import java.time.Duration;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@link JdkHttpDestination} against the destination contract, plus its own options. */
class JdkHttpDestinationTest extends HttpWebhookDestinationContract {

  @Override
  protected WebhookDestination createDestination() {
    return JdkHttpDestination.builder().allowPrivateDestinations(true).build();
  }

  @Test
  @DisplayName("defaults: 5 s connect timeout, 16 KiB body cap, SSRF guard on")
  void defaults() {
    try (JdkHttpDestination d = JdkHttpDestination.create()) {
      assertThat(d.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
      assertThat(d.maxResponseBodyBytes()).isEqualTo(16 * 1024);
      assertThat(d.allowsPrivateDestinations()).isFalse();
      assertThat(d.pinsHttpAddresses()).isTrue();
    }
  }

  @Test
  @DisplayName("the body cap is configurable: the excerpt is the first maxResponseBodyBytes bytes")
  void bodyCapIsConfigurable() {
    server.enqueue(new MockResponse.Builder().code(200).body("0123456789abcdef").build());
    try (JdkHttpDestination d =
        JdkHttpDestination.builder().allowPrivateDestinations(true).maxResponseBodyBytes(10).build()) {

      DeliveryResult result = await(d.send(request(url("/hook"))));

      assertThat(result.statusCode()).isEqualTo(200);
      assertThat(result.bodyExcerpt()).isEqualTo("0123456789");
    }
  }

  @Test
  @DisplayName("a body cap of 0 keeps no excerpt and still reports the status")
  void zeroBodyCap() {
    server.enqueue(new MockResponse.Builder().code(500).body("secret stack trace").build());
    try (JdkHttpDestination d =
        JdkHttpDestination.builder().allowPrivateDestinations(true).maxResponseBodyBytes(0).build()) {

      DeliveryResult result = await(d.send(request(url("/hook"))));

      assertThat(result.statusCode()).isEqualTo(500);
      assertThat(result.bodyExcerpt()).isEmpty();
    }
  }

  @Test
  @DisplayName("plain http is sent as HTTP/1.1 and connections are reused")
  void plainHttpUsesHttp11AndReusesConnections() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).body("one").build());
    server.enqueue(new MockResponse.Builder().code(200).body("two").build());

    assertThat(await(destination.send(request(url("/a")))).bodyExcerpt()).isEqualTo("one");
    assertThat(await(destination.send(request(url("/b")))).bodyExcerpt()).isEqualTo("two");

    RecordedRequest first = server.takeRequest(30, TimeUnit.SECONDS);
    RecordedRequest second = server.takeRequest(30, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    assertThat(second).isNotNull();
    assertThat(first.getVersion()).isEqualTo("HTTP/1.1");
    assertThat(second.getConnectionIndex()).isEqualTo(first.getConnectionIndex());
  }

  @Test
  @DisplayName("request headers the client manages (Host, Content-Length, Connection) are not taken from the request")
  void clientManagedHeadersAreNotSent() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).build());
    var headers =
        java.util.List.of(
            new io.webhookd.spi.DeliveryRequest.Header("Host", "evil.example"),
            new io.webhookd.spi.DeliveryRequest.Header("Content-Length", "999"),
            new io.webhookd.spi.DeliveryRequest.Header("Connection", "close"),
            new io.webhookd.spi.DeliveryRequest.Header("X-Kept", "yes"));

    DeliveryResult result =
        await(
            destination.send(
                new io.webhookd.spi.DeliveryRequest(
                    "s", "b", url("/h"), headers, new byte[] {1, 2, 3}, REQUEST_TIMEOUT)));

    assertThat(result.isSuccess()).isTrue();
    RecordedRequest received = server.takeRequest(30, TimeUnit.SECONDS);
    assertThat(received).isNotNull();
    assertThat(received.getHeaders().get("Host")).isEqualTo(url("/h").getAuthority());
    assertThat(received.getHeaders().get("Content-Length")).isEqualTo("3");
    assertThat(received.getHeaders().get("X-Kept")).isEqualTo("yes");
  }

  @Test
  @DisplayName("an invalid header value is a failure that is not retryable, not an exception")
  void invalidHeaderIsNonRetryableFailure() {
    var request =
        new io.webhookd.spi.DeliveryRequest(
            "s",
            "b",
            url("/h"),
            java.util.List.of(new io.webhookd.spi.DeliveryRequest.Header("X-Bad", "a\r\nInjected: 1")),
            new byte[0],
            REQUEST_TIMEOUT);

    DeliveryResult result = await(destination.send(request));

    assertThat(result.failure()).isInstanceOf(IllegalArgumentException.class);
    assertThat(result.retryable()).isFalse();
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  @DisplayName("after close, send returns a retryable failure without connecting")
  void sendAfterClose() {
    destination.close();

    DeliveryResult result = await(destination.send(request(url("/hook"))));

    assertThat(result.failure()).isNotNull();
    assertThat(result.retryable()).isTrue();
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  @DisplayName("the builder names the field, the rule and the value of a bad setting")
  void builderValidates() {
    assertThatThrownBy(() -> JdkHttpDestination.builder().connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectTimeout must be positive, was PT0S");
    assertThatThrownBy(() -> JdkHttpDestination.builder().maxResponseBodyBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxResponseBodyBytes must be at least 0, was -1");
  }

  @Test
  @DisplayName("ServiceLoader finds the provider, which creates a guarded JdkHttpDestination")
  void serviceLoaderFindsProvider() {
    var providers = ServiceLoader.load(WebhookDestinationProvider.class).stream().toList();

    var jdk =
        providers.stream()
            .filter(p -> p.type() == JdkHttpDestinationProvider.class)
            .findFirst();
    assertThat(jdk).isPresent();
    try (WebhookDestination d = jdk.get().get().create()) {
      assertThat(d).isInstanceOf(JdkHttpDestination.class);
      assertThat(((JdkHttpDestination) d).allowsPrivateDestinations()).isFalse();
    }
  }
}
