package io.webhookd.http.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** The option checks both transports' builders share, with the same messages. */
public final class Options {
  private Options() {}

  /** {@code connectTimeout}, when positive. */
  public static Duration connectTimeout(Duration connectTimeout) {
    requireNonNull(connectTimeout, "connectTimeout");
    if (connectTimeout.isZero() || connectTimeout.isNegative()) {
      throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout);
    }
    return connectTimeout;
  }

  /** {@code maxResponseBodyBytes}, when 0 or more. */
  public static int maxResponseBodyBytes(int maxResponseBodyBytes) {
    if (maxResponseBodyBytes < 0) {
      throw new IllegalArgumentException("maxResponseBodyBytes must be at least 0, was " + maxResponseBodyBytes);
    }
    return maxResponseBodyBytes;
  }
}
