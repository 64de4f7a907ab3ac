package io.webhookd.it;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Stand-in until webhookd-http-jdk lands. */
final class TemporaryHttpDestination implements WebhookDestination {
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @Override
  public CompletableFuture<DeliveryResult> send(DeliveryRequest req) {
    long start = System.nanoTime();
    HttpRequest.Builder b = HttpRequest.newBuilder(req.url()).timeout(req.timeout()).POST(HttpRequest.BodyPublishers.ofByteArray(req.body()));
    for (DeliveryRequest.Header h : req.headers()) {
      if (!h.name().equalsIgnoreCase("user-agent") || true) {
        b.header(h.name(), h.value());
      }
    }
    return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
        .handle((r, e) -> e != null
            ? DeliveryResult.failure(e, Duration.ofNanos(System.nanoTime() - start), true)
            : DeliveryResult.response(r.statusCode(), r.headers().map(), new String(r.body(), StandardCharsets.UTF_8), Duration.ofNanos(System.nanoTime() - start)));
  }
}
