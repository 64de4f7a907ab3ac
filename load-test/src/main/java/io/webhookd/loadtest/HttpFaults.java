package io.webhookd.loadtest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The endpoint's misbehaviour, switched on and off by the fault schedule while the receiver runs:
 * a fraction of requests answered 500, every request answered 503 until a time, 429 with
 * Retry-After until a time, every request delayed. Thread-safe (volatile switches).
 */
final class HttpFaults {
  private volatile double fraction5xx;
  private double owed500;
  private volatile long window5xxUntilMs;
  private volatile long tooManyUntilMs;
  private volatile int retryAfterSeconds;
  private final java.util.concurrent.atomic.AtomicInteger tooManyArmed = new java.util.concurrent.atomic.AtomicInteger();
  private volatile long slowMs;
  private volatile double poisonFraction;
  private volatile long holdMs;

  final AtomicLong answered500 = new AtomicLong();
  final AtomicLong answered503 = new AtomicLong();
  final AtomicLong answered429 = new AtomicLong();
  final AtomicLong slowed = new AtomicLong();
  final AtomicLong answered400 = new AtomicLong();

  /** A refusal: the status and, for 429, the Retry-After seconds. */
  record Refusal(int status, int retryAfterSeconds) {}

  void fraction5xx(double fraction) {
    synchronized (this) {
      // the first request after switching on is refused, then exactly a fraction of them:
      // deterministic, so a short run always sees the fault
      this.owed500 = fraction > 0 ? 1.0 : 0.0;
    }
    this.fraction5xx = fraction;
  }

  void window5xx(long untilMs) {
    this.window5xxUntilMs = untilMs;
  }

  /** 429 until {@code untilMs}, and in any case to the next {@code atLeast} requests. */
  void tooMany(long untilMs, int retryAfterSeconds, int atLeast) {
    this.retryAfterSeconds = retryAfterSeconds;
    this.tooManyUntilMs = untilMs;
    this.tooManyArmed.set(atLeast);
  }

  void slow(long millis) {
    this.slowMs = millis;
  }

  /** How long to hold each request before answering: the slow fault's delay, or a crash's hold. */
  long slowMillis() {
    return Math.max(slowMs, holdMs);
  }

  /**
   * Holds every request arriving from now on for {@code millis} before it is accepted, so that
   * an engine that crashes meanwhile has requests open whose messages the receiver accepts after
   * the crash: delivered, but never committed by the dead engine. 0 ends the hold.
   */
  void hold(long millis) {
    this.holdMs = millis;
  }

  /** From now on the webhook refuses, for ever, every batch holding one of {@code fraction} of the messages. */
  void poison(double fraction) {
    this.poisonFraction = fraction;
  }

  /**
   * Whether the webhook refuses the message with this sequence number for ever: a fixed fraction
   * of the sequence numbers, spread by a multiplicative hash, the same in every run.
   */
  boolean isPoison(int seq) {
    double f = poisonFraction;
    return f > 0 && seq >= 0 && Math.floorMod(seq * 2654435761L, 1_000_000L) < f * 1_000_000;
  }

  /** Whether to refuse this request, decided before it is read. */
  @Nullable Refusal decide(long nowMs) {
    if (nowMs < window5xxUntilMs) {
      answered503.incrementAndGet();
      return new Refusal(503, 0);
    }
    if (nowMs < tooManyUntilMs || (tooManyArmed.get() > 0 && tooManyArmed.getAndDecrement() > 0)) {
      answered429.incrementAndGet();
      return new Refusal(429, retryAfterSeconds);
    }
    double f = fraction5xx;
    if (f > 0) {
      synchronized (this) {
        if (owed500 >= 1.0) {
          owed500 -= 1.0;
          answered500.incrementAndGet();
          return new Refusal(500, 0);
        }
        owed500 += f;
      }
    }
    return null;
  }

  Map<String, Object> counts() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("answered_500_fraction", answered500.get());
    m.put("answered_503_window", answered503.get());
    m.put("answered_429", answered429.get());
    m.put("slowed", slowed.get());
    m.put("answered_400_poison", answered400.get());
    return m;
  }
}
