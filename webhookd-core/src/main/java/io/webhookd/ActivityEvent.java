package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a subscription's {@code recent_activity}. Secret header values and URL secrets are
 * already masked. Immutable.
 *
 * @param timestamp when it happened
 * @param type what happened: a call to the webhook, a state change, or a day-2 operation
 * @param request for api_call, {@code POST {url}} with secrets masked
 * @param requestHeaders for api_call, {@code Name: value} strings with secret values masked
 * @param responseCode for api_call, the HTTP status, or {@link #NO_RESPONSE} (0) when no response
 *     came (connection refused, timeout); {@code null} only in records stored by earlier versions
 * @param responseBody for api_call, the start of the response body (at most a few KB), or the error
 *     when no response came
 * @param responseHeaders for api_call, {@code Name: value} strings
 * @param message a human explanation: the error when the call failed, the reason of a state change
 * @param batchSize for api_call, the number of messages in the batch
 * @param durationMillis for api_call, how long the call took
 * @param batchId for api_call and the day-2 operations on a batch, the batch's id (what {@link
 *     Webhookd#skip} takes), or {@code null}
 */
public record ActivityEvent(
    Instant timestamp,
    Type type,
    @Nullable String request,
    List<String> requestHeaders,
    @Nullable Integer responseCode,
    @Nullable String responseBody,
    List<String> responseHeaders,
    @Nullable String message,
    @Nullable Integer batchSize,
    @Nullable Long durationMillis,
    @Nullable String batchId) {

  /**
   * The {@code response_code} of an api_call that got no response: the original Go webhookd's documents have an
   * int there, so the error goes in the body instead of a {@code null} code.
   */
  public static final int NO_RESPONSE = 0;

  /** What kind of activity. */
  public enum Type {
    /** A request to the webhook (a delivery attempt). */
    API_CALL,
    /** The subscription turned healthy or started. */
    ACTIVE,
    /** The subscription turned unhealthy or stopped. */
    INACTIVE,
    /** Messages were moved to the dead letters (retries exhausted or skipped). */
    DEAD_LETTERED,
    /** An operator skipped a failing batch. */
    SKIPPED,
    /** An operator moved the subscription's group to other positions. */
    REPLAYED,
    /** Dead letters were sent again (the message says how many were accepted). */
    REDELIVERED,
    /** An operator discarded a dead letter. */
    DISCARDED,
    /** A synthetic test message was sent. */
    TEST;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static @Nullable Type fromWireName(String s) {
      for (Type t : values()) {
        if (t.wireName().equals(s)) {
          return t;
        }
      }
      return null;
    }
  }

  public ActivityEvent {
    requireNonNull(timestamp, "timestamp");
    requireNonNull(type, "type");
    requireNonNull(requestHeaders, "requestHeaders");
    requireNonNull(responseHeaders, "responseHeaders");
    requestHeaders = List.copyOf(requestHeaders);
    responseHeaders = List.copyOf(responseHeaders);
  }

  /** An event without a batch id (the constructor before batch ids existed). */
  public ActivityEvent(
      Instant timestamp,
      Type type,
      @Nullable String request,
      List<String> requestHeaders,
      @Nullable Integer responseCode,
      @Nullable String responseBody,
      List<String> responseHeaders,
      @Nullable String message,
      @Nullable Integer batchSize,
      @Nullable Long durationMillis) {
    this(
        timestamp, type, request, requestHeaders, responseCode, responseBody, responseHeaders,
        message, batchSize, durationMillis, null);
  }

  /** An {@code active} or {@code inactive} event with a reason. */
  public static ActivityEvent stateChange(Instant at, Type type, String message) {
    return new ActivityEvent(at, type, null, List.of(), null, null, List.of(), message, null, null);
  }

  /** A day-2 operation ({@code dead_lettered}, {@code skipped}, {@code replayed}, …) with what it did. */
  public static ActivityEvent operation(
      Instant at, Type type, String message, @Nullable Integer batchSize, @Nullable String batchId) {
    return new ActivityEvent(
        at, type, null, List.of(), null, null, List.of(), message, batchSize, null, batchId);
  }
}
