package io.webhookd.testkit;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One POST received by a {@link WebhookReceiver}. Immutable ({@code body} must not be modified).
 *
 * @param receivedAt when the request arrived
 * @param path the request path
 * @param headers the request headers, names in lower case
 * @param body the raw body
 * @param respondedStatus the status the receiver answered, or {@code -1} while it has not answered
 *     yet (as a {@link WebhookReceiver.Responder} sees it)
 * @param messages the messages of the batch, empty when the body is not a webhookd batch
 * @param batchId the body's {@code batch_id}, or {@code null} when it has none
 */
public record ReceivedRequest(
    Instant receivedAt,
    String path,
    Map<String, List<String>> headers,
    byte[] body,
    int respondedStatus,
    List<ReceivedMessage> messages,
    @Nullable String batchId) {

  public ReceivedRequest {
    requireNonNull(receivedAt, "receivedAt");
    requireNonNull(path, "path");
    headers = Map.copyOf(headers);
    requireNonNull(body, "body");
    messages = List.copyOf(messages);
  }

  /** The first value of a header, by case-insensitive name. */
  public Optional<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** The body as UTF-8 text. */
  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** Whether the receiver answered with a 2xx status. */
  public boolean answeredSuccess() {
    return respondedStatus >= 200 && respondedStatus < 300;
  }

  ReceivedRequest withStatus(int status) {
    return new ReceivedRequest(receivedAt, path, headers, body, status, messages, batchId);
  }

  @Override
  public String toString() {
    return "ReceivedRequest[POST "
        + path
        + " -> "
        + respondedStatus
        + ", batchId="
        + batchId
        + ", messages="
        + messages.stream().map(ReceivedMessage::id).toList()
        + "]";
  }
}
