package io.webhookd.server;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The transport of the test servers: {@code null} (the server's own, webhookd-http-jdk) once that
 * module is wired; until then a minimal {@link HttpClient} POST so that delivery tests run over
 * real HTTP to a real receiver.
 */
final class TestTransport {
  private TestTransport() {}

  static @Nullable WebhookDestination create() {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return new WebhookDestination() {
      @Override
      public CompletableFuture<DeliveryResult> send(DeliveryRequest r) {
        long start = System.nanoTime();
        HttpRequest.Builder b =
            HttpRequest.newBuilder(r.url()).timeout(r.timeout()).POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
        r.headers().forEach(h -> b.header(h.name(), h.value()));
        try {
          return client
              .sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
              .handle(
                  (resp, err) -> {
                    Duration d = Duration.ofNanos(System.nanoTime() - start);
                    if (err != null) {
                      return DeliveryResult.failure(err, d, true);
                    }
                    return DeliveryResult.response(resp.statusCode(), resp.headers().map(), resp.body(), d);
                  });
        } catch (RuntimeException e) {
          return CompletableFuture.completedFuture(DeliveryResult.failure(e, Duration.ZERO, false));
        }
      }
    };
  }
}
