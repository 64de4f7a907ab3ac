package io.webhookd.http.apache;

import static java.util.Objects.requireNonNull;

import io.webhookd.http.common.AddressPolicy;
import io.webhookd.http.common.ForbiddenDestinationException;
import io.webhookd.http.common.Resolver;
import io.webhookd.http.common.SsrfGuard;
import io.webhookd.http.common.TransportFailures;
import io.webhookd.http.common.TransportOptions;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;

/**
 * A {@link WebhookDestination} on Apache HttpClient 5's classic (blocking) client: each request
 * runs from start to end on one pooled thread, over a pooled keep-alive HTTP/1.1 connection with
 * {@code TCP_NODELAY}. A request therefore crosses threads twice (to its thread and back), where
 * {@code java.net.http.HttpClient} hands it between its selector and executor threads as well;
 * measured in the load test's bench (BENCHMARKS.md), that lowers the latency tail at batch size 1
 * and the CPU spent per request. It speaks HTTP/1.1 only (for HTTP/2 use {@code
 * JdkHttpDestination}).
 *
 * <p>Behaviour, the same as {@code JdkHttpDestination}'s (the test kit's {@code
 * HttpWebhookDestinationContract} checks both): {@link #send} never throws and never blocks; redirects
 * are returned, not followed; nothing is retried by the client; the response body is read up to
 * {@link Builder#maxResponseBodyBytes} and the connection dropped when there is more; each request
 * ends no later than its {@link DeliveryRequest#timeout()} (a deadline aborts a slow or dripping
 * response). The SSRF guard is the same as {@code JdkHttpDestination}'s: unless {@link
 * Builder#allowPrivateDestinations} is set, a host is resolved, refused (not retryable, {@link
 * ForbiddenDestinationException}) when any of its addresses is loopback, private, link-local and
 * the like, and connected to at exactly the addresses that were checked, so that a DNS answer that
 * changes in between cannot redirect the connection.
 *
 * <p>Thread-safe: one instance serves every subscription of an engine. Pass it to {@code
 * Webhookd.builder().destination(...)}; it is not found by {@code ServiceLoader}.
 */
public final class ApacheHttpDestination implements WebhookDestination {
  public static final Duration DEFAULT_CONNECT_TIMEOUT = TransportOptions.DEFAULT_CONNECT_TIMEOUT;
  public static final int DEFAULT_MAX_RESPONSE_BODY_BYTES = TransportOptions.DEFAULT_MAX_RESPONSE_BODY_BYTES;
  public static final int DEFAULT_MAX_CONNECTIONS = 1024;

  /** Headers the client writes itself; given ones are dropped. */
  private static final Set<String> CLIENT_MANAGED_HEADERS =
      Set.of("content-length", "transfer-encoding", "host", "connection", "expect", "upgrade", "keep-alive", "te", "trailer",
          "proxy-connection");

  private final Duration connectTimeout;
  private final int maxResponseBodyBytes;
  private final boolean allowPrivateDestinations;
  private final AddressPolicy policy;
  private final Resolver resolver;
  private final PoolingHttpClientConnectionManager connections;
  private final CloseableHttpClient client;
  private final ExecutorService executor;
  private final ScheduledThreadPoolExecutor timer;
  private final Map<CompletableFuture<DeliveryResult>, InFlight> inFlight = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private record InFlight(long start, HttpPost post) {}

  private ApacheHttpDestination(Builder b) {
    this.connectTimeout = b.connectTimeout;
    this.maxResponseBodyBytes = b.maxResponseBodyBytes;
    this.allowPrivateDestinations = b.allowPrivateDestinations;
    this.policy = b.addressPolicy;
    this.resolver = b.resolver;
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "webhookd-http-apache-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "webhookd-http-apache-timeouts");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    this.connections =
        PoolingHttpClientConnectionManagerBuilder.create()
            .setDnsResolver(allowPrivateDestinations ? SystemDefaultDnsResolver.INSTANCE : new GuardedResolver())
            .setMaxConnTotal(b.maxConnections)
            .setMaxConnPerRoute(b.maxConnections)
            .setDefaultSocketConfig(SocketConfig.custom().setTcpNoDelay(true).build())
            .setDefaultConnectionConfig(
                ConnectionConfig.custom()
                    .setConnectTimeout(Timeout.of(connectTimeout))
                    .setValidateAfterInactivity(TimeValue.ofSeconds(1))
                    .setTimeToLive(TimeValue.ofMinutes(5))
                    .build())
            .build();
    this.client =
        HttpClients.custom()
            .setConnectionManager(connections)
            .disableRedirectHandling()
            .disableAutomaticRetries()
            .disableCookieManagement()
            .disableAuthCaching()
            .disableContentCompression()
            .evictIdleConnections(TimeValue.ofSeconds(30))
            .build();
  }

  /** A destination with the defaults (SSRF guard on). */
  public static ApacheHttpDestination create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public int maxResponseBodyBytes() {
    return maxResponseBodyBytes;
  }

  public boolean allowsPrivateDestinations() {
    return allowPrivateDestinations;
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
        return CompletableFuture.completedFuture(failure(new IOException("the destination is closed"), start, true));
      }
      String problem = SsrfGuard.urlSyntaxProblem(request.url());
      if (problem != null) {
        return CompletableFuture.completedFuture(failure(new IllegalArgumentException(problem), start, false));
      }
      HttpPost post = new HttpPost(request.url());
      inFlight.put(result, new InFlight(start, post));
      long timeoutNanos = Math.max(1, request.timeout().toNanos());
      ScheduledFuture<?> deadline =
          timer.schedule(
              () -> {
                if (result.complete(
                    failure(new IOException("no complete response within " + request.timeout().toMillis() + " ms"), start, true))) {
                  post.cancel();
                }
              },
              timeoutNanos,
              TimeUnit.NANOSECONDS);
      result.whenComplete(
          (r, t) -> {
            inFlight.remove(result);
            deadline.cancel(false);
          });
      executor.execute(() -> exchange(request, post, start, result));
    } catch (RejectedExecutionException e) {
      result.complete(failure(new IOException("the destination is closed", e), start, true));
    } catch (RuntimeException | Error e) {
      result.complete(failure(e, start, !(e instanceof IllegalArgumentException)));
    }
    return result;
  }

  private void exchange(DeliveryRequest request, HttpPost post, long start, CompletableFuture<DeliveryResult> result) {
    if (result.isDone()) {
      return;
    }
    try {
      for (DeliveryRequest.Header h : request.headers()) {
        if (!CLIENT_MANAGED_HEADERS.contains(h.name().toLowerCase(Locale.ROOT))) {
          post.addHeader(h.name(), h.value());
        }
      }
      post.setEntity(new ByteArrayEntity(request.body(), null));
      post.setConfig(requestConfig(Math.max(1, request.timeout().toMillis())));
      ClassicHttpResponse response = client.executeOpen(null, post, null);
      try {
        String excerpt = "";
        boolean whole = true;
        HttpEntity entity = response.getEntity();
        if (entity != null) {
          InputStream in = entity.getContent();
          byte[] buf = in.readNBytes(maxResponseBodyBytes);
          excerpt = new String(buf, StandardCharsets.UTF_8);
          whole = in.read() < 0; // at the end the connection goes back to the pool
        }
        result.complete(DeliveryResult.response(response.getCode(), headers(response), excerpt, elapsed(start)));
        if (!whole) {
          post.cancel(); // drop the connection instead of reading the rest
        }
      } finally {
        try {
          response.close();
        } catch (IOException | RuntimeException e) {
          // the result is already decided; a dropped connection may refuse a graceful close
        }
      }
    } catch (IOException | RuntimeException e) {
      result.complete(failureOf(e, start));
    }
  }

  /** The last request configuration, reused while requests keep the same timeout (they usually do). */
  private volatile RequestSettings lastSettings = new RequestSettings(-1, RequestConfig.DEFAULT);

  private record RequestSettings(long timeoutMillis, RequestConfig config) {}

  private RequestConfig requestConfig(long timeoutMillis) {
    RequestSettings last = lastSettings;
    if (last.timeoutMillis() == timeoutMillis) {
      return last.config();
    }
    Timeout timeout = Timeout.of(timeoutMillis, TimeUnit.MILLISECONDS);
    RequestConfig config =
        RequestConfig.custom()
            .setResponseTimeout(timeout)
            .setConnectionRequestTimeout(timeout)
            .setRedirectsEnabled(false)
            .build();
    lastSettings = new RequestSettings(timeoutMillis, config);
    return config;
  }

  private static DeliveryResult failureOf(Throwable e, long start) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof Forbidden f) {
        return failure(new ForbiddenDestinationException(f.getMessage()), start, false);
      }
    }
    return failure(e, start, TransportFailures.isRetryable(e));
  }

  private static Map<String, List<String>> headers(ClassicHttpResponse response) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Header h : response.getHeaders()) {
      out.computeIfAbsent(h.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
    }
    return out;
  }

  /**
   * Why {@code url} cannot be used: not absolute {@code http} or {@code https}, no host, user
   * info, or (unless private destinations are allowed) a host that resolves to an address the
   * SSRF guard forbids. A host that does not resolve now is not refused here; {@link #send}
   * checks again. May block on DNS.
   */
  @Override
  public @Nullable String checkUrl(URI url) {
    return SsrfGuard.checkUrl(requireNonNull(url, "url"), allowPrivateDestinations, resolver, policy);
  }

  private static Duration elapsed(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private static DeliveryResult failure(Throwable failure, long start, boolean retryable) {
    return DeliveryResult.failure(failure, elapsed(start), retryable);
  }

  /** Resolves through the SSRF guard: the connection goes to exactly the addresses checked here. */
  private final class GuardedResolver implements DnsResolver {
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      try {
        return SsrfGuard.resolveChecked(resolver, policy, SsrfGuard.bareHost(host));
      } catch (ForbiddenDestinationException refused) {
        throw new Forbidden(refused.getMessage());
      }
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
      return SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
    }
  }

  /** A host refused by the guard, through the resolver's checked exception. */
  private static final class Forbidden extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    Forbidden(String message) {
      super(message);
    }
  }

  /**
   * Completes requests in flight with retryable failures and aborts them, then closes the
   * connections and the threads. Idempotent; later sends fail (retryable).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Map.Entry<CompletableFuture<DeliveryResult>, InFlight> e : inFlight.entrySet()) {
      InFlight f = e.getValue();
      if (e.getKey().complete(failure(new IOException("the destination was closed"), f.start(), true))) {
        f.post().cancel();
      }
    }
    client.close(CloseMode.IMMEDIATE);
    connections.close(CloseMode.IMMEDIATE);
    timer.shutdownNow();
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "ApacheHttpDestination{connectTimeout=" + connectTimeout + ", maxResponseBodyBytes=" + maxResponseBodyBytes
        + ", allowPrivateDestinations=" + allowPrivateDestinations + "}";
  }

  /** Options; every one has a default. */
  public static final class Builder {
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private int maxResponseBodyBytes = DEFAULT_MAX_RESPONSE_BODY_BYTES;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private boolean allowPrivateDestinations;
    private AddressPolicy addressPolicy = AddressPolicy.SSRF_GUARD;
    private Resolver resolver = Resolver.SYSTEM;

    private Builder() {}

    /** TCP connect timeout (default 5 s); positive. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = TransportOptions.connectTimeout(connectTimeout);
      return this;
    }

    /** How much of a response body is kept for the result (default 16 KiB); 0 or more. */
    public Builder maxResponseBodyBytes(int maxResponseBodyBytes) {
      this.maxResponseBodyBytes = TransportOptions.maxResponseBodyBytes(maxResponseBodyBytes);
      return this;
    }

    /** Connections kept at most, in all and per host (default 1024); at least 1. */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1, was " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * Allows loopback, private and link-local destinations (default false: the SSRF guard refuses
     * them). For tests and for deployments whose webhooks are internal.
     */
    public Builder allowPrivateDestinations(boolean allow) {
      this.allowPrivateDestinations = allow;
      return this;
    }

    /** For tests: which addresses are refused. */
    Builder addressPolicy(AddressPolicy addressPolicy) {
      this.addressPolicy = requireNonNull(addressPolicy, "addressPolicy");
      return this;
    }

    /** For tests: how host names resolve. */
    Builder resolver(Resolver resolver) {
      this.resolver = requireNonNull(resolver, "resolver");
      return this;
    }

    public ApacheHttpDestination build() {
      return new ApacheHttpDestination(this);
    }
  }
}
