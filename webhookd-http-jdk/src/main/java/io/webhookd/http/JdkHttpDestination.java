package io.webhookd.http;

import static java.util.Objects.requireNonNull;

import io.webhookd.http.common.AddressPolicy;
import io.webhookd.http.common.ForbiddenDestinationException;
import io.webhookd.http.common.Resolver;
import io.webhookd.http.common.SsrfGuard;
import io.webhookd.http.common.TransportFailures;
import io.webhookd.http.common.TransportOptions;
import io.webhookd.http.internal.CappedBodySubscriber;
import io.webhookd.http.internal.ConnectTunnel;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The standard {@link WebhookDestination}: POSTs batches with {@code java.net.http.HttpClient}.
 *
 * <pre>{@code
 * WebhookDestination http = JdkHttpDestination.builder()
 *     .connectTimeout(Duration.ofSeconds(3))
 *     .build();
 * }</pre>
 *
 * <p>Behaviour:
 *
 * <ul>
 *   <li>One shared {@code HttpClient} per instance, so connections are reused.
 *   <li>HTTP/2 for {@code https} (negotiated with ALPN, falling back to HTTP/1.1); HTTP/1.1 for
 *       plain {@code http}, because an h2c upgrade would cost every request an extra round trip
 *       and almost no webhook receiver speaks h2c.
 *   <li>Redirects are not followed: a 3xx is returned as a response (which the engine treats as a
 *       failure).
 *   <li>{@link DeliveryRequest#timeout()} bounds the whole exchange, including reading the body.
 *   <li>The response body is read only up to {@link Builder#maxResponseBodyBytes(int)}; then the
 *       connection is closed without reading the rest.
 *   <li>{@link #send} never throws and never blocks: 429, 5xx, timeouts, refused or reset
 *       connections and other I/O errors are retryable; TLS handshake and certificate errors,
 *       SSRF refusals ({@link ForbiddenDestinationException}) and malformed requests are not.
 *   <li>Request headers that the HTTP client manages itself ({@code Host}, {@code Connection},
 *       {@code Content-Length}, {@code Expect}, {@code Upgrade}) are not sent from the request.
 * </ul>
 *
 * <h2>SSRF guard</h2>
 *
 * Unless {@link Builder#allowPrivateDestinations(boolean)} is true, a destination whose host
 * resolves to a loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
 * (169.254/16 incl. cloud metadata, fe80::/10), unspecified, multicast, CGNAT (100.64/10),
 * local-use NAT64 (64:ff9b:1::/48) or otherwise reserved address, or an IPv6 form embedding such an
 * IPv4 address, is refused before any connection is made. The refusal says that the host "resolves
 * to a private or loopback address", never which address: the message reaches API clients. A name with several addresses is refused when any of them is forbidden.
 * The check applies to the address actually connected to:
 *
 * <ul>
 *   <li>{@code http}: the host is resolved and checked, then the request goes to that IP literal
 *       with the original {@code Host} header. This needs the system property {@code
 *       jdk.httpclient.allowRestrictedHeaders} to include {@code host}; this class adds it when it
 *       is loaded, which only takes effect when no {@code HttpClient} request was built in the JVM
 *       before. (A side effect: other {@code HttpClient} users in the JVM may then set {@code
 *       Host} too.) When it did not take effect, the host is resolved and checked immediately
 *       before the send and {@code HttpClient} resolves it again: a DNS answer that changes in that
 *       window (DNS rebinding with a zero TTL) could reach a forbidden address. {@link
 *       #pinsHttpAddresses()} tells which applies.
 *   <li>{@code https}: connections go through a CONNECT tunnel inside this instance, listening on
 *       127.0.0.1, which resolves the host, checks every address and connects to exactly the
 *       checked one, while TLS stays end to end between {@code HttpClient} and the server with the
 *       original host name (SNI and hostname verification unchanged). A re-resolution to a
 *       forbidden address is refused when the connection is made.
 * </ul>
 *
 * <p>Thread-safe: one instance serves every subscription of an engine. {@link #close()} completes
 * requests in flight with retryable failures and releases the tunnel and the threads this
 * instance created (not an executor passed to the builder); {@code HttpClient} (Java 17) has no
 * close, so its selector thread ends when the client is garbage-collected.
 */
public final class JdkHttpDestination implements WebhookDestination {
  /** The default connect timeout: 5 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = TransportOptions.DEFAULT_CONNECT_TIMEOUT;

  /** The default cap on the response body read: 16 KiB. */
  public static final int DEFAULT_MAX_RESPONSE_BODY_BYTES = TransportOptions.DEFAULT_MAX_RESPONSE_BODY_BYTES;

  private static final String ALLOW_RESTRICTED = "jdk.httpclient.allowRestrictedHeaders";
  private static final Set<String> CLIENT_MANAGED_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade");
  private static final boolean HOST_HEADER_SETTABLE = enableHostHeader();

  private final HttpClient client;
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final ScheduledThreadPoolExecutor timer;
  private final @Nullable ConnectTunnel tunnel;
  private final Duration connectTimeout;
  private final int maxResponseBodyBytes;
  private final boolean allowPrivateDestinations;
  private final Resolver resolver;
  private final AddressPolicy policy;
  private final Map<CompletableFuture<DeliveryResult>, InFlight> inFlight =
      new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private JdkHttpDestination(Builder b) {
    this.connectTimeout = b.connectTimeout;
    this.maxResponseBodyBytes = b.maxResponseBodyBytes;
    this.allowPrivateDestinations = b.allowPrivateDestinations;
    this.resolver = b.resolver;
    this.policy = b.addressPolicy;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      AtomicInteger n = new AtomicInteger();
      ExecutorService own =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "webhookd-http-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      this.executor = own;
      this.ownedExecutor = own;
    }
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "webhookd-http-timeouts");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    ConnectTunnel t = null;
    if (!allowPrivateDestinations) {
      try {
        t = ConnectTunnel.start(resolver, policy, executor, connectTimeout);
      } catch (IOException e) {
        timer.shutdownNow();
        if (ownedExecutor != null) {
          ownedExecutor.shutdownNow();
        }
        throw new UncheckedIOException("cannot start the SSRF guard's CONNECT tunnel", e);
      }
    }
    this.tunnel = t;
    HttpClient.Builder cb =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_2)
            .executor(executor);
    if (b.sslContext != null) {
      cb.sslContext(b.sslContext);
    }
    if (tunnel != null) {
      Proxy viaTunnel = new Proxy(Proxy.Type.HTTP, tunnel.address());
      cb.proxy(
          new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
              return "https".equalsIgnoreCase(uri.getScheme())
                  ? List.of(viaTunnel)
                  : List.of(Proxy.NO_PROXY);
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
          });
    }
    this.client = cb.build();
  }

  /** A destination with every default. */
  public static JdkHttpDestination create() {
    return builder().build();
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The connect timeout. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** The most response body bytes read. */
  public int maxResponseBodyBytes() {
    return maxResponseBodyBytes;
  }

  /** Whether the SSRF guard is off. */
  public boolean allowsPrivateDestinations() {
    return allowPrivateDestinations;
  }

  /**
   * Whether {@code http} requests go to the IP address that the SSRF guard checked (see the class
   * comment); false when the guard is off or the {@code Host} header cannot be set in this JVM.
   */
  public boolean pinsHttpAddresses() {
    return !allowPrivateDestinations && HOST_HEADER_SETTABLE;
  }

  /**
   * Sends {@code request} as a POST. Never throws; the future never completes exceptionally, and
   * completes no later than about {@link DeliveryRequest#timeout()} after this call.
   */
  @Override
  public CompletableFuture<DeliveryResult> send(DeliveryRequest request) {
    long start = System.nanoTime();
    CompletableFuture<DeliveryResult> result = new CompletableFuture<>();
    try {
      if (closed.get()) {
        return CompletableFuture.completedFuture(
            failure(new IOException("the destination is closed"), start, true));
      }
      String problem = SsrfGuard.urlSyntaxProblem(request.url());
      if (problem != null) {
        return CompletableFuture.completedFuture(
            failure(new IllegalArgumentException(problem), start, false));
      }
      AtomicReference<@Nullable Runnable> abort = new AtomicReference<>();
      inFlight.put(result, new InFlight(start, abort));
      result.whenComplete((r, t) -> inFlight.remove(result));
      long timeoutNanos = Math.max(1, request.timeout().toNanos());
      ScheduledFuture<?> deadline =
          timer.schedule(
              () -> {
                if (result.complete(
                    failure(
                        new HttpTimeoutException(
                            "no complete response within " + request.timeout().toMillis() + " ms"),
                        start,
                        true))) {
                  Runnable a = abort.get();
                  if (a != null) {
                    a.run();
                  }
                }
              },
              timeoutNanos,
              TimeUnit.NANOSECONDS);
      result.whenComplete((r, t) -> deadline.cancel(false));
      // Everything that may block (DNS, building the client's exchange) runs on the executor.
      executor.execute(() -> guardedExchange(request, start, result, abort));
    } catch (RuntimeException | Error e) {
      result.complete(failure(e, start, !(e instanceof IllegalArgumentException)));
    }
    return result;
  }

  private void guardedExchange(
      DeliveryRequest request,
      long start,
      CompletableFuture<DeliveryResult> result,
      AtomicReference<@Nullable Runnable> abort) {
    try {
      URI url = request.url();
      if (allowPrivateDestinations) {
        exchange(request, url, null, start, result, abort);
        return;
      }
      String host = SsrfGuard.bareHost(requireNonNull(url.getHost(), "host"));
      InetAddress[] addresses;
      try {
        addresses = SsrfGuard.resolveChecked(resolver, policy, host);
      } catch (ForbiddenDestinationException refused) {
        result.complete(failure(refused, start, false));
        return;
      } catch (UnknownHostException e) {
        result.complete(failure(e, start, true));
        return;
      }
      if (result.isDone()) {
        return;
      }
      boolean https = "https".equalsIgnoreCase(url.getScheme());
      if (!https && HOST_HEADER_SETTABLE) {
        String hostHeader = url.getHost() + (url.getPort() == -1 ? "" : ":" + url.getPort());
        exchange(request, withHost(url, literal(addresses[0])), hostHeader, start, result, abort);
      } else {
        // https: the tunnel checks again at connect time. http without a settable Host header:
        // checked just now, re-resolved by HttpClient (the window the class comment describes).
        exchange(request, url, null, start, result, abort);
      }
    } catch (RuntimeException | Error e) {
      result.complete(failure(e, start, !(e instanceof IllegalArgumentException)));
    }
  }

  private void exchange(
      DeliveryRequest request,
      URI uri,
      @Nullable String hostHeader,
      long start,
      CompletableFuture<DeliveryResult> result,
      AtomicReference<@Nullable Runnable> abort) {
    boolean https = "https".equalsIgnoreCase(uri.getScheme());
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(uri)
            .timeout(request.timeout())
            .version(https ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
            .POST(HttpRequest.BodyPublishers.ofByteArray(request.body()));
    for (DeliveryRequest.Header h : request.headers()) {
      if (!CLIENT_MANAGED_HEADERS.contains(h.name().toLowerCase(Locale.ROOT))) {
        rb.header(h.name(), h.value());
      }
    }
    if (hostHeader != null) {
      rb.header("Host", hostHeader);
    }
    HttpRequest httpRequest = rb.build();
    AtomicReference<@Nullable CappedBodySubscriber> subscriber = new AtomicReference<>();
    // The exchange runs synchronously on this executor thread. HttpClient.sendAsync would hand
    // its completion to CompletableFuture's default executor, which on machines with fewer than
    // three cores (common pool parallelism 1) starts a new thread for every response.
    Thread worker = Thread.currentThread();
    Object running = new Object();
    boolean[] done = {false};
    abort.set(
        () -> {
          CappedBodySubscriber s = subscriber.get();
          if (s != null) {
            s.abort();
          }
          synchronized (running) {
            if (!done[0]) {
              worker.interrupt();
            }
          }
        });
    if (result.isDone()) {
      synchronized (running) {
        done[0] = true;
      }
      return;
    }
    try {
      HttpResponse<String> response =
          client.send(
              httpRequest,
              info -> {
                CappedBodySubscriber s = new CappedBodySubscriber(maxResponseBodyBytes);
                subscriber.set(s);
                return s;
              });
      result.complete(
          DeliveryResult.response(
              response.statusCode(),
              lowerCaseHeaders(response.headers().map()),
              response.body(),
              elapsed(start)));
    } catch (InterruptedException e) {
      // aborted: by the deadline (the result already says so) or by close()
      result.complete(failure(new IOException("the request was aborted"), start, true));
    } catch (IOException | RuntimeException e) {
      result.complete(failureOf(e, uri, start));
    } finally {
      synchronized (running) {
        done[0] = true;
        Thread.interrupted(); // an abort that came after the exchange ended must not leak
      }
    }
  }

  private DeliveryResult failureOf(Throwable error, URI uri, long start) {
    Throwable cause = unwrap(error);
    if (tunnel != null
        && cause instanceof IOException
        && String.valueOf(cause.getMessage()).contains("Tunnel failed, got: 403")) {
      int port = uri.getPort() == -1 ? 443 : uri.getPort();
      String reason = tunnel.refusal(uri.getHost() + ":" + port);
      return failure(
          new ForbiddenDestinationException(
              reason != null ? reason : "host " + uri.getHost() + " was refused by the SSRF guard"),
          start,
          false);
    }
    return failure(cause, start, TransportFailures.isRetryable(cause));
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /**
   * Why {@code url} cannot be used: not absolute {@code http} or {@code https}, no host, user
   * info, or (unless private destinations are allowed) a host that resolves to an address the
   * SSRF guard forbids. A host that does not resolve now is not refused here (DNS may be
   * temporarily unavailable); {@link #send} checks again. May block on DNS.
   *
   * @return the reason, or {@code null} when the URL can be used
   */
  @Override
  public @Nullable String checkUrl(URI url) {
    return SsrfGuard.checkUrl(requireNonNull(url, "url"), allowPrivateDestinations, resolver, policy);
  }




  private static String literal(InetAddress address) {
    String text = address.getHostAddress();
    int scope = text.indexOf('%');
    if (scope >= 0) {
      text = text.substring(0, scope);
    }
    return address instanceof Inet6Address ? "[" + text + "]" : text;
  }

  private static URI withHost(URI url, String hostLiteral) {
    StringBuilder s = new StringBuilder();
    s.append(url.getScheme()).append("://").append(hostLiteral);
    if (url.getPort() != -1) {
      s.append(':').append(url.getPort());
    }
    s.append(url.getRawPath() == null ? "" : url.getRawPath());
    if (url.getRawQuery() != null) {
      s.append('?').append(url.getRawQuery());
    }
    return URI.create(s.toString());
  }

  private static Map<String, List<String>> lowerCaseHeaders(Map<String, List<String>> headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    headers.forEach(
        (name, values) -> {
          if (!name.startsWith(":")) {
            out.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                .addAll(values);
          }
        });
    return out;
  }

  private static Duration elapsed(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private static DeliveryResult failure(Throwable failure, long start, boolean retryable) {
    return DeliveryResult.failure(failure, elapsed(start), retryable);
  }

  private static boolean enableHostHeader() {
    try {
      String current = System.getProperty(ALLOW_RESTRICTED);
      if (current == null || current.isBlank()) {
        System.setProperty(ALLOW_RESTRICTED, "host");
      } else {
        boolean listed = false;
        for (String name : current.split(",")) {
          listed |= name.trim().equalsIgnoreCase("host");
        }
        if (!listed) {
          System.setProperty(ALLOW_RESTRICTED, current + ",host");
        }
      }
    } catch (SecurityException e) {
      // fall through to the probe
    }
    try {
      HttpRequest.newBuilder(URI.create("http://127.0.0.1/")).header("Host", "probe");
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Completes requests in flight with retryable failures, stops the SSRF guard's tunnel and the
   * threads this instance created. Idempotent; later sends fail (retryable).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Map.Entry<CompletableFuture<DeliveryResult>, InFlight> e : inFlight.entrySet()) {
      InFlight f = e.getValue();
      if (e.getKey().complete(failure(new IOException("the destination was closed"), f.start, true))) {
        Runnable abort = f.abort.get();
        if (abort != null) {
          abort.run();
        }
      }
    }
    if (tunnel != null) {
      tunnel.close();
    }
    timer.shutdownNow();
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "JdkHttpDestination{connectTimeout="
        + connectTimeout
        + ", maxResponseBodyBytes="
        + maxResponseBodyBytes
        + ", allowPrivateDestinations="
        + allowPrivateDestinations
        + "}";
  }

  private static final class InFlight {
    final long start;
    final AtomicReference<@Nullable Runnable> abort;

    InFlight(long start, AtomicReference<@Nullable Runnable> abort) {
      this.start = start;
      this.abort = abort;
    }
  }

  /** Configures a {@link JdkHttpDestination}. Not thread-safe; {@link #build()} copies it. */
  public static final class Builder {
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private int maxResponseBodyBytes = DEFAULT_MAX_RESPONSE_BODY_BYTES;
    private boolean allowPrivateDestinations;
    private @Nullable Executor executor;
    private @Nullable SSLContext sslContext;
    private Resolver resolver = Resolver.SYSTEM;
    private AddressPolicy addressPolicy = AddressPolicy.SSRF_GUARD;

    private Builder() {}

    /**
     * How long connecting may take (default 5 s).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = TransportOptions.connectTimeout(connectTimeout);
      return this;
    }

    /**
     * The most bytes of a response body to read (default 16 KiB); the rest is not read and the
     * connection is closed. 0 reads no body.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder maxResponseBodyBytes(int maxResponseBodyBytes) {
      this.maxResponseBodyBytes = TransportOptions.maxResponseBodyBytes(maxResponseBodyBytes);
      return this;
    }

    /**
     * Whether loopback, private, link-local and other internal addresses may be reached (default
     * false: the SSRF guard refuses them). True only for local development and tests.
     */
    public Builder allowPrivateDestinations(boolean allowPrivateDestinations) {
      this.allowPrivateDestinations = allowPrivateDestinations;
      return this;
    }

    /**
     * Runs the HTTP client's work, DNS lookups and result completion (default: a cached pool of
     * daemon threads owned by the destination). An executor given here is not shut down by
     * {@link JdkHttpDestination#close()}.
     */
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    /** The TLS context, for example to trust a private CA (default: the JVM's default). */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = requireNonNull(sslContext, "sslContext");
      return this;
    }

    // Test seams: resolve names and judge addresses differently (package-private on purpose).
    Builder resolver(Resolver resolver) {
      this.resolver = requireNonNull(resolver, "resolver");
      return this;
    }

    Builder addressPolicy(AddressPolicy addressPolicy) {
      this.addressPolicy = requireNonNull(addressPolicy, "addressPolicy");
      return this;
    }

    /**
     * A new destination with this configuration.
     *
     * @throws UncheckedIOException when the SSRF guard's tunnel cannot listen on 127.0.0.1
     */
    public JdkHttpDestination build() {
      return new JdkHttpDestination(this);
    }
  }
}
