package io.webhookd.spi;

import io.webhookd.RetryAlgorithm;
import io.webhookd.SubscriptionSpec;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Decides how long to wait before retrying a failed batch. Implementations are immutable and
 * thread-safe. The engine waits at least as long as a {@code Retry-After} header asks.
 *
 * <p>{@code io.webhookd.testkit.RetrierContract} is the contract test.
 */
public interface Retrier {

  /**
   * The delay before retry number {@code retry} (1 for the first retry). Called also for retries
   * beyond {@code max_retries}, while the subscription is unhealthy.
   */
  Duration delay(int retry);

  /** Exponential backoff from {@code initial}, doubling up to {@code max}, with ±20% jitter. */
  static Retrier exponentialBackoff(Duration initial, Duration max) {
    long initialNanos = initial.toNanos();
    long maxNanos = max.toNanos();
    return retry -> {
      int shift = Math.min(Math.max(retry - 1, 0), 40);
      double base = Math.min((double) initialNanos * (1L << shift), (double) maxNanos);
      double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
      return Duration.ofNanos((long) Math.min(base * jitter, (double) maxNanos));
    };
  }

  /** The same delay every time. */
  static Retrier fixed(Duration delay) {
    return retry -> delay;
  }

  /**
   * Makes the retrier of each subscription an engine runs, when its runner starts (again after
   * every change of the subscription). Called on the engine's threads; must be thread-safe.
   */
  @FunctionalInterface
  interface Factory {
    /** The subscription's own {@code configuration.retry}: {@link Retrier#of}. */
    Factory FROM_SPEC = s -> of(s.spec().retry());

    Retrier create(io.webhookd.Subscription subscription);
  }

  /** The retrier a spec's retry configuration describes. */
  static Retrier of(SubscriptionSpec.Retry retry) {
    return retry.algorithm() == RetryAlgorithm.FIXED_TIME
        ? fixed(retry.initialDelay())
        : exponentialBackoff(retry.initialDelay(), retry.maxDelay());
  }
}
