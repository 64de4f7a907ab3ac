package io.webhookd.internal;

/**
 * A token bucket of one second's worth of requests. Not thread-safe: used by one consumer thread.
 * Never blocks: it says how long to wait.
 */
final class RateLimiter {
  private final double perNano;
  private final double capacity;
  private double tokens;
  private long last;

  RateLimiter(double perSecond, long now) {
    this.perNano = perSecond / 1e9;
    this.capacity = Math.max(1.0, perSecond);
    this.tokens = 1.0;
    this.last = now;
  }

  /** Takes a token when one is available; otherwise returns the nanoseconds until one is. */
  long tryAcquire(long now) {
    long wait = nanosUntilToken(now);
    if (wait == 0) {
      tokens -= 1.0;
    }
    return wait;
  }

  /** Nanoseconds until a token is available (0 when one is), without taking it. */
  long nanosUntilToken(long now) {
    refill(now);
    return tokens >= 1.0 ? 0 : (long) Math.ceil((1.0 - tokens) / perNano);
  }

  private void refill(long now) {
    if (now > last) {
      tokens = Math.min(capacity, tokens + (now - last) * perNano);
      last = now;
    }
  }
}
