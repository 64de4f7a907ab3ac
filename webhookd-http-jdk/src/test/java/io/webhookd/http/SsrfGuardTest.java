package io.webhookd.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.http.common.AddressPolicy;
import io.webhookd.http.common.ForbiddenDestinationException;
import io.webhookd.http.common.Resolver;
import io.webhookd.http.common.SsrfGuard;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Protocol;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SSRF guard. Traffic only ever goes to 127.0.0.0/8 and ::1: private and link-local
 * addresses are only checked to be refused before any connection, and DNS answers for test host
 * names come from a fake resolver.
 */
class SsrfGuardTest {
  private static final Duration AWAIT = Duration.ofSeconds(30);

  private CountingListener v4;
  private CountingListener v6;

  @BeforeEach
  void listen() throws Exception {
    v4 = new CountingListener("127.0.0.1", 0);
    v6 = new CountingListener("::1", v4.port());
  }

  @AfterEach
  void stop() throws Exception {
    v4.close();
    v6.close();
  }

  @ParameterizedTest(name = "{0} is refused without connecting")
  @ValueSource(
      strings = {
        "http://localhost:%d/hook",
        "http://127.0.0.1:%d/hook",
        "http://[::1]:%d/hook",
        "http://[::ffff:127.0.0.1]:%d/hook",
        "https://localhost:%d/hook",
        "https://127.0.0.1:%d/hook",
        "https://[::1]:%d/hook"
      })
  void loopbackIsRefusedWithoutConnecting(String template) {
    URI url = URI.create(String.format(template, v4.port()));
    try (JdkHttpDestination guarded = JdkHttpDestination.create()) {

      DeliveryResult result = await(guarded.send(request(url)));

      assertThat(result.failure()).isInstanceOf(ForbiddenDestinationException.class);
      assertThat(result.failure()).hasMessageContaining("loopback");
      assertThat(result.retryable()).isFalse();
      assertThat(result.statusCode()).isEqualTo(-1);
      assertThat(guarded.checkUrl(url)).contains("loopback").contains("SSRF guard");
    }
    assertThat(v4.accepted() + v6.accepted()).as("connections received").isZero();
  }

  @ParameterizedTest(name = "{0} is refused before connecting")
  @ValueSource(
      strings = {
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.0.1:8080/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::]/",
        "http://[::ffff:169.254.169.254]/",
        "https://169.254.169.254/",
        "https://10.0.0.1/"
      })
  void privateAndLinkLocalAreRefusedBeforeConnecting(String url) {
    try (JdkHttpDestination guarded = JdkHttpDestination.create()) {

      DeliveryResult result = await(guarded.send(request(URI.create(url))));

      // ForbiddenDestinationException comes only from the check made before any connection.
      assertThat(result.failure()).isInstanceOf(ForbiddenDestinationException.class);
      assertThat(result.retryable()).isFalse();
      assertThat(guarded.checkUrl(URI.create(url))).isNotNull();
    }
  }

  @Test
  @DisplayName("a DNS name that resolves to a loopback address is refused without connecting")
  void nameResolvingToLoopbackIsRefused() {
    Resolver dns = fixedDns("hooks.example.test", "127.0.0.1");
    URI url = URI.create("http://hooks.example.test:" + v4.port() + "/hook");
    try (JdkHttpDestination guarded = JdkHttpDestination.builder().resolver(dns).build()) {

      DeliveryResult result = await(guarded.send(request(url)));

      assertThat(result.failure())
          .isInstanceOf(ForbiddenDestinationException.class)
          .hasMessageContaining("hooks.example.test resolves to a private or loopback address")
          .hasMessageNotContaining("127.0.0.1");
      // the message reaches API clients: it names no address (no DNS oracle)
      assertThat(guarded.checkUrl(url))
          .contains("hooks.example.test resolves to a private or loopback address")
          .doesNotContain("127.0.0.1");
    }
    assertThat(v4.accepted()).isZero();
  }

  @Test
  @DisplayName("a name with several addresses is refused when any of them is forbidden")
  void anyForbiddenAddressRefusesTheName() {
    Resolver dns = fixedDns("mixed.test", "127.0.0.2", "127.0.0.1");
    AddressPolicy onlyLocalhostAllowed = onlyAllowed("127.0.0.2");
    URI url = URI.create("http://mixed.test:" + v4.port() + "/hook");
    try (JdkHttpDestination guarded =
        JdkHttpDestination.builder().resolver(dns).addressPolicy(onlyLocalhostAllowed).build()) {

      DeliveryResult result = await(guarded.send(request(url)));

      assertThat(result.failure()).isInstanceOf(ForbiddenDestinationException.class);
    }
    assertThat(v4.accepted()).isZero();
  }

  @Test
  @DisplayName("http goes to exactly the checked address with the original Host: a re-resolution (DNS rebinding) is never used")
  void httpIsPinnedToTheCheckedAddress() throws Exception {
    try (MockWebServer allowed = new MockWebServer();
        CountingListener rebound = new CountingListener("127.0.0.2", 0)) {
      allowed.start(InetAddress.getByName("127.0.0.1"), 0);
      allowed.enqueue(new MockResponse.Builder().code(200).body("pinned").build());
      // First answer allowed (127.0.0.1), every later answer forbidden (127.0.0.2).
      AtomicInteger lookups = new AtomicInteger();
      Resolver rebinding =
          host ->
              new InetAddress[] {
                InetAddress.getByName(lookups.getAndIncrement() == 0 ? "127.0.0.1" : "127.0.0.2")
              };
      URI url = URI.create("http://rebind.test:" + allowed.getPort() + "/hook?x=1");
      try (JdkHttpDestination guarded =
          JdkHttpDestination.builder()
              .resolver(rebinding)
              .addressPolicy(onlyAllowed("127.0.0.1"))
              .build()) {

        DeliveryResult result = await(guarded.send(request(url)));

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.bodyExcerpt()).isEqualTo("pinned");
      }
      RecordedRequest received = allowed.takeRequest(30, TimeUnit.SECONDS);
      assertThat(received).isNotNull();
      assertThat(received.getHeaders().get("Host")).isEqualTo("rebind.test:" + allowed.getPort());
      assertThat(received.getTarget()).isEqualTo("/hook?x=1");
      assertThat(lookups).hasValue(1);
      assertThat(rebound.accepted()).isZero();
    }
  }

  @Test
  @DisplayName("https: a name that re-resolves to a forbidden address at connect time (DNS rebinding) is refused")
  void httpsRebindingIsRefusedAtConnect() {
    // Checked before the send: 127.0.0.1 (allowed here); at connect time: 127.0.0.2 (forbidden).
    AtomicInteger lookups = new AtomicInteger();
    Resolver rebinding =
        host ->
            new InetAddress[] {
              InetAddress.getByName(lookups.getAndIncrement() == 0 ? "127.0.0.1" : "127.0.0.2")
            };
    try (CountingListener rebound = new CountingListener("127.0.0.2", v4.port());
        JdkHttpDestination guarded =
            JdkHttpDestination.builder()
                .resolver(rebinding)
                .addressPolicy(onlyAllowed("127.0.0.1"))
                .build()) {

      DeliveryResult result =
          await(guarded.send(request(URI.create("https://rebind.test:" + v4.port() + "/hook"))));

      assertThat(result.failure())
          .isInstanceOf(ForbiddenDestinationException.class)
          .hasMessageContaining("rebind.test resolves to a private or loopback address")
          .hasMessageNotContaining("127.0.0.2");
      assertThat(result.retryable()).isFalse();
      assertThat(lookups.get()).isGreaterThanOrEqualTo(2);
      assertThat(rebound.accepted() + v4.accepted()).as("connections received").isZero();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  @DisplayName("https through the guard keeps TLS end to end: SNI and hostname verification use the original name, HTTP/2 is negotiated")
  void httpsThroughTheGuardKeepsSniAndVerifiesTheHostname() throws Exception {
    HeldCertificate cert = new HeldCertificate.Builder().addSubjectAlternativeName("hooks.test").build();
    try (MockWebServer tls = tlsServer(cert)) {
      tls.enqueue(new MockResponse.Builder().code(200).body("secure").build());
      try (JdkHttpDestination guarded =
          JdkHttpDestination.builder()
              .resolver(fixedDns("hooks.test", "127.0.0.1"))
              .addressPolicy(onlyAllowed("127.0.0.1"))
              .sslContext(trusting(cert))
              .build()) {

        DeliveryResult result =
            await(guarded.send(request(URI.create("https://hooks.test:" + tls.getPort() + "/h"))));

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.bodyExcerpt()).isEqualTo("secure");
      }
      RecordedRequest received = tls.takeRequest(30, TimeUnit.SECONDS);
      assertThat(received).isNotNull();
      assertThat(received.getHandshakeServerNames()).containsExactly("hooks.test");
      assertThat(received.getVersion()).isEqualTo("HTTP/2");
    }
  }

  @Test
  @DisplayName("https through the guard reuses the tunnelled connection for later requests")
  void httpsThroughTheGuardReusesConnections() throws Exception {
    HeldCertificate cert = new HeldCertificate.Builder().addSubjectAlternativeName("hooks.test").build();
    try (MockWebServer tls = tlsServer(cert)) {
      tls.enqueue(new MockResponse.Builder().code(200).body("one").build());
      tls.enqueue(new MockResponse.Builder().code(200).body("two").build());
      URI url = URI.create("https://hooks.test:" + tls.getPort() + "/h");
      try (JdkHttpDestination guarded =
          JdkHttpDestination.builder()
              .resolver(fixedDns("hooks.test", "127.0.0.1"))
              .addressPolicy(onlyAllowed("127.0.0.1"))
              .sslContext(trusting(cert))
              .build()) {

        assertThat(await(guarded.send(request(url))).bodyExcerpt()).isEqualTo("one");
        assertThat(await(guarded.send(request(url))).bodyExcerpt()).isEqualTo("two");
      }
      RecordedRequest first = tls.takeRequest(30, TimeUnit.SECONDS);
      RecordedRequest second = tls.takeRequest(30, TimeUnit.SECONDS);
      assertThat(first).isNotNull();
      assertThat(second).isNotNull();
      assertThat(second.getConnectionIndex()).isEqualTo(first.getConnectionIndex());
    }
  }

  @Test
  @DisplayName("https through the guard: a certificate for another name is a TLS failure that is not retryable")
  void wrongCertificateNameIsNotRetryable() throws Exception {
    HeldCertificate cert = new HeldCertificate.Builder().addSubjectAlternativeName("other.test").build();
    try (MockWebServer tls = tlsServer(cert);
        JdkHttpDestination guarded =
            JdkHttpDestination.builder()
                .resolver(fixedDns("hooks.test", "127.0.0.1"))
                .addressPolicy(onlyAllowed("127.0.0.1"))
                .sslContext(trusting(cert))
                .build()) {

      DeliveryResult result =
          await(guarded.send(request(URI.create("https://hooks.test:" + tls.getPort() + "/h"))));

      assertThat(result.failure()).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      assertThat(result.retryable()).isFalse();
      assertThat(tls.getRequestCount()).isZero();
    }
  }

  @Test
  @DisplayName("an untrusted certificate is a TLS failure that is not retryable")
  void untrustedCertificateIsNotRetryable() throws Exception {
    HeldCertificate cert = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
    try (MockWebServer tls = tlsServer(cert);
        JdkHttpDestination open = JdkHttpDestination.builder().allowPrivateDestinations(true).build()) {

      DeliveryResult result =
          await(open.send(request(URI.create("https://localhost:" + tls.getPort() + "/h"))));

      assertThat(result.failure()).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      assertThat(result.retryable()).isFalse();
    }
  }

  @ParameterizedTest(name = "{0} is allowed with allowPrivateDestinations(true)")
  @ValueSource(strings = {"http://localhost:%d/hook", "http://127.0.0.1:%d/hook", "http://[::1]:%d/hook"})
  void loopbackIsAllowedWhenPrivateDestinationsAreAllowed(String template) throws Exception {
    try (MockWebServer local = new MockWebServer()) {
      local.start(InetAddress.getByName(template.contains("[::1]") ? "::1" : "127.0.0.1"), 0);
      local.enqueue(new MockResponse.Builder().code(200).body("ok").build());
      URI url = URI.create(String.format(template, local.getPort()));
      try (JdkHttpDestination open =
          JdkHttpDestination.builder().allowPrivateDestinations(true).build()) {

        assertThat(open.checkUrl(url)).isNull();
        DeliveryResult result = await(open.send(request(url)));

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(local.getRequestCount()).isEqualTo(1);
      }
    }
  }

  @Test
  @DisplayName("https to localhost is allowed with allowPrivateDestinations(true), over HTTP/2")
  void http2WhenPrivateDestinationsAreAllowed() throws Exception {
    HeldCertificate cert = new HeldCertificate.Builder().addSubjectAlternativeName("localhost").build();
    try (MockWebServer tls = tlsServer(cert)) {
      tls.enqueue(new MockResponse.Builder().code(202).addHeader("X-Reply", "h2").build());
      try (JdkHttpDestination open =
          JdkHttpDestination.builder()
              .allowPrivateDestinations(true)
              .sslContext(trusting(cert))
              .build()) {

        DeliveryResult result =
            await(open.send(request(URI.create("https://localhost:" + tls.getPort() + "/h"))));

        assertThat(result.statusCode()).isEqualTo(202);
        assertThat(result.header("x-reply")).contains("h2");
      }
      RecordedRequest received = tls.takeRequest(30, TimeUnit.SECONDS);
      assertThat(received).isNotNull();
      assertThat(received.getVersion()).isEqualTo("HTTP/2");
      assertThat(received.getBody().utf8()).isEqualTo("{}");
    }
  }

  @Test
  @DisplayName("checkUrl refuses non-http(s) URLs, URLs without a host and URLs with user info")
  void checkUrlSyntax() {
    try (JdkHttpDestination open =
        JdkHttpDestination.builder().allowPrivateDestinations(true).build()) {
      assertThat(open.checkUrl(URI.create("ftp://example.com/x"))).contains("http or https");
      assertThat(open.checkUrl(URI.create("/relative"))).contains("http or https");
      assertThat(open.checkUrl(URI.create("http:///x"))).contains("host");
      assertThat(open.checkUrl(URI.create("https://user:pw@example.com/x"))).contains("user info");
      assertThat(open.checkUrl(URI.create("https://example.com/x"))).isNull();
    }
  }

  @Test
  @DisplayName("checkUrl accepts a public address literal")
  void checkUrlAcceptsPublicLiteral() {
    try (JdkHttpDestination guarded = JdkHttpDestination.create()) {
      assertThat(guarded.checkUrl(URI.create("https://93.184.216.34/hook"))).isNull();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static DeliveryResult await(CompletableFuture<DeliveryResult> future) {
    assertThat(future).succeedsWithin(AWAIT);
    return future.join();
  }

  private static DeliveryRequest request(URI url) {
    return new DeliveryRequest(
        "s-1",
        "batch-1",
        url,
        List.of(new DeliveryRequest.Header("Content-Type", "application/json")),
        "{}".getBytes(UTF_8),
        Duration.ofSeconds(10));
  }

  private static Resolver fixedDns(String name, String... addresses) {
    return host -> {
      if (!host.equals(name)) {
        throw new java.net.UnknownHostException(host);
      }
      InetAddress[] out = new InetAddress[addresses.length];
      for (int i = 0; i < addresses.length; i++) {
        out[i] = InetAddress.getByName(addresses[i]);
      }
      return out;
    };
  }

  /** The SSRF rules, except that {@code allowed} may be reached (so tests stay on loopback). */
  private static AddressPolicy onlyAllowed(String allowed) {
    return address ->
        address.getHostAddress().equals(allowed) ? null : SsrfGuard.forbiddenReason(address);
  }

  private static MockWebServer tlsServer(HeldCertificate cert) throws java.io.IOException {
    MockWebServer tls = new MockWebServer();
    tls.useHttps(new HandshakeCertificates.Builder().heldCertificate(cert).build().sslSocketFactory());
    tls.setProtocols(List.of(Protocol.HTTP_2, Protocol.HTTP_1_1));
    tls.start(InetAddress.getByName("127.0.0.1"), 0);
    return tls;
  }

  private static javax.net.ssl.SSLContext trusting(HeldCertificate cert) {
    return new HandshakeCertificates.Builder()
        .addTrustedCertificate(cert.certificate())
        .build()
        .sslContext();
  }
}
