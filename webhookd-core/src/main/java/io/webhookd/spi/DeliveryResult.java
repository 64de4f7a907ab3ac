package io.webhookd.spi;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What came of one {@link DeliveryRequest}: a response (any status), or a failure before a
 * response (timeout, connection refused or reset, refused by the SSRF guard). Immutable.
 *
 * @param statusCode the HTTP status, or {@code -1} when there was no response
 * @param headers response headers (names lower-case), empty when there was no response
 * @param bodyExcerpt the start of the response body, at most the transport's cap, decoded as UTF-8
 * @param duration from sending to the end of the response (or the failure)
 * @param failure why there was no response, or {@code null}
 * @param retryable whether trying again may help: 429, 5xx, timeouts and I/O errors are; 3xx, other
 *     4xx, and refusals (TLS, SSRF guard) are not retryable by themselves but webhookd never skips a
 *     batch, so the engine still retries them at the longest interval
 */
public record DeliveryResult(
    int statusCode,
    Map<String, List<String>> headers,
    String bodyExcerpt,
    Duration duration,
    @Nullable Throwable failure,
    boolean retryable) {
  public DeliveryResult {
    headers = Map.copyOf(headers);
    requireNonNull(bodyExcerpt, "bodyExcerpt");
    requireNonNull(duration, "duration");
  }

  /** A response with this status; retryable is derived from the status. */
  public static DeliveryResult response(
      int status, Map<String, List<String>> headers, String bodyExcerpt, Duration duration) {
    return new DeliveryResult(
        status, headers, bodyExcerpt, duration, null, status == 429 || status == 408 || status >= 500);
  }

  /** No response: the exchange failed. */
  public static DeliveryResult failure(Throwable failure, Duration duration, boolean retryable) {
    return new DeliveryResult(-1, Map.of(), "", duration, failure, retryable);
  }

  /** Whether the webhook accepted the batch (2xx). */
  public boolean isSuccess() {
    return statusCode >= 200 && statusCode < 300;
  }

  /** The first value of a response header, by case-insensitive name. */
  public Optional<String> header(String name) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
        return Optional.of(e.getValue().get(0));
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return statusCode >= 0
        ? "HTTP " + statusCode + " in " + duration.toMillis() + " ms"
        : "failed after " + duration.toMillis() + " ms: " + failure;
  }
}
