package io.webhookd.http.common;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** The defaults and option checks the HTTP transports' builders share, with the same messages. */
public final class TransportOptions {
  /** TCP connect timeout unless configured: 5 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** How much of a response body is kept for the result unless configured: 16 KiB. */
  public static final int DEFAULT_MAX_RESPONSE_BODY_BYTES = 16 * 1024;

  private TransportOptions() {}

  /**
   * {@code connectTimeout}, when positive.
   *
   * @throws IllegalArgumentException when it is zero or negative
   */
  public static Duration connectTimeout(Duration connectTimeout) {
    requireNonNull(connectTimeout, "connectTimeout");
    if (connectTimeout.isZero() || connectTimeout.isNegative()) {
      throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout);
    }
    return connectTimeout;
  }

  /**
   * {@code maxResponseBodyBytes}, when 0 or more.
   *
   * @throws IllegalArgumentException when it is negative
   */
  public static int maxResponseBodyBytes(int maxResponseBodyBytes) {
    if (maxResponseBodyBytes < 0) {
      throw new IllegalArgumentException("maxResponseBodyBytes must be at least 0, was " + maxResponseBodyBytes);
    }
    return maxResponseBodyBytes;
  }
}
