package io.webhookd.internal;

import io.webhookd.RetryAlgorithm;
import io.webhookd.SubscriptionSpec;
import java.time.Duration;

/** What a subscription's retry configuration means once its retries are exhausted. */
final class Retries {
  private Retries() {}

  /**
   * The interval between attempts once {@code max_retries} is exhausted: the fixed delay of
   * {@code fixed_time}, the longest delay of exponential backoff.
   */
  static Duration exhaustedInterval(SubscriptionSpec.Retry retry) {
    return retry.algorithm() == RetryAlgorithm.FIXED_TIME ? retry.initialDelay() : retry.maxDelay();
  }

  /** {@code 1 s}, {@code 250 ms}, {@code 1.5 s}, {@code 2 min}: how an alert states an interval. */
  static String describe(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms % 60_000 == 0) {
      return (ms / 60_000) + " min";
    }
    if (ms % 1000 == 0) {
      return (ms / 1000) + " s";
    }
    return (ms / 1000.0) + " s";
  }
}
