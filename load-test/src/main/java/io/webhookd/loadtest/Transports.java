package io.webhookd.loadtest;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.lang.reflect.Method;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The webhook transport for in-process engines, with private destinations allowed (the receiver
 * is on loopback): {@code webhookd-http-apache} by default, {@code webhookd-http-jdk} or a minimal
 * stand-in on the JDK {@link HttpClient} when chosen. {@link #describe()} says which one ran;
 * results record it.
 */
final class Transports {
  private Transports() {}

  static final String JDK = "io.webhookd.http.JdkHttpDestination";

  /** {@code apache} (default, as the server's), {@code jdk} or {@code standin}: set by {@code bench --transport}. */
  static volatile String choice = "apache";

  /**
   * Chooses the transport by its option value.
   *
   * @throws IllegalArgumentException naming the option, the value and the allowed ones
   */
  static void use(String name, List<String> allowed) {
    if (!allowed.contains(name)) {
      throw new IllegalArgumentException("--transport must be " + String.join(", ", allowed) + "; was " + name);
    }
    choice = name;
  }

  static WebhookDestination create() {
    if (choice.equals("standin")) {
      return new StandIn();
    }
    if (choice.equals("apache")) {
      return io.webhookd.http.apache.ApacheHttpDestination.builder().allowPrivateDestinations(true).build();
    }
    try {
      Class<?> c = Class.forName(JDK);
      Object builder = c.getMethod("builder").invoke(null);
      Method allow = builder.getClass().getMethod("allowPrivateDestinations", boolean.class);
      allow.setAccessible(true);
      Object b2 = allow.invoke(builder, true);
      Method build = b2.getClass().getMethod("build");
      build.setAccessible(true);
      return (WebhookDestination) build.invoke(b2);
    } catch (ClassNotFoundException e) {
      return new StandIn();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("could not build " + JDK + " with allowPrivateDestinations(true)", e);
    }
  }

  static String describe() {
    if (choice.equals("standin")) {
      return "load-test stand-in on java.net.http.HttpClient (HTTP/1.1, sendAsync, no executor hop)";
    }
    if (choice.equals("apache")) {
      return "webhookd-http-apache ApacheHttpDestination";
    }
    try {
      Class.forName(JDK);
      return "webhookd-http-jdk JdkHttpDestination";
    } catch (ClassNotFoundException e) {
      return "load-test stand-in on java.net.http.HttpClient (webhookd-http-jdk not available)";
    }
  }

  /** POSTs with {@link HttpClient#sendAsync}; 2xx is success, the rest per {@link DeliveryResult#response}. */
  static final class StandIn implements WebhookDestination {
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "host", "expect", "upgrade");
    private final HttpClient client =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public CompletableFuture<DeliveryResult> send(DeliveryRequest req) {
      long start = System.nanoTime();
      HttpRequest.Builder b =
          HttpRequest.newBuilder(req.url()).timeout(req.timeout()).POST(HttpRequest.BodyPublishers.ofByteArray(req.body()));
      for (DeliveryRequest.Header h : req.headers()) {
        if (!RESTRICTED.contains(h.name().toLowerCase(java.util.Locale.ROOT))) {
          b.header(h.name(), h.value());
        }
      }
      try {
        return client
            .sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
            .handle(
                (r, e) ->
                    e != null
                        ? DeliveryResult.failure(e, Duration.ofNanos(System.nanoTime() - start), true)
                        : DeliveryResult.response(
                            r.statusCode(),
                            r.headers().map(),
                            new String(r.body(), 0, Math.min(r.body().length, 1024), StandardCharsets.UTF_8),
                            Duration.ofNanos(System.nanoTime() - start)));
      } catch (RuntimeException e) {
        return CompletableFuture.completedFuture(DeliveryResult.failure(e, Duration.ofNanos(System.nanoTime() - start), true));
      }
    }
  }
}
