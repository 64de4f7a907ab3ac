package io.webhookd.internal;

import io.webhookd.Health;
import io.webhookd.HealthDetails;
import io.webhookd.spi.DeliveryResult;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One subscription's health on this engine: the state machine healthy → unhealthy (retries
 * exhausted) → healthy (a success), with the counters behind it. Thread-safe (synchronized): the
 * consumer thread updates it, the background thread records alert outcomes in it.
 */
final class HealthTracker {
  private HealthDetails snapshot;

  HealthTracker(@Nullable HealthDetails stored, Instant now) {
    if (stored == null) {
      snapshot = HealthDetails.initial(Health.HEALTHY, now);
    } else {
      Health h = stored.deliveryHealth() == Health.UNHEALTHY ? Health.UNHEALTHY : Health.HEALTHY;
      snapshot = with(stored, h, h == stored.deliveryHealth() ? stored.since() : now);
    }
  }

  synchronized HealthDetails snapshot() {
    return snapshot;
  }

  synchronized Health health() {
    return snapshot.deliveryHealth();
  }

  /** Records a 2xx; returns the previous health. */
  synchronized Health success(DeliveryResult r, int messages, Instant now) {
    HealthDetails s = snapshot;
    Health before = s.deliveryHealth();
    snapshot =
        new HealthDetails(
            Health.HEALTHY,
            before == Health.HEALTHY ? s.since() : now,
            now,
            s.lastFailureAt(),
            0,
            r.statusCode(),
            null,
            s.delivered() + messages,
            s.failedAttempts(),
            s.lastAlert(),
            s.lastAlertAt(),
            s.lastAlertSent());
    return before;
  }

  /** Records a failed attempt; returns the previous health. */
  synchronized Health failure(DeliveryResult r, boolean exhausted, Instant now) {
    HealthDetails s = snapshot;
    Health before = s.deliveryHealth();
    Health after = exhausted ? Health.UNHEALTHY : before;
    snapshot =
        new HealthDetails(
            after,
            after == before ? s.since() : now,
            s.lastSuccessAt(),
            now,
            s.consecutiveFailures() + 1,
            r.statusCode() >= 0 ? r.statusCode() : null,
            describe(r),
            s.delivered(),
            s.failedAttempts() + 1,
            s.lastAlert(),
            s.lastAlertAt(),
            s.lastAlertSent());
    return before;
  }

  synchronized void alert(String description, Instant at, boolean sent) {
    HealthDetails s = snapshot;
    snapshot =
        new HealthDetails(
            s.deliveryHealth(), s.since(), s.lastSuccessAt(), s.lastFailureAt(), s.consecutiveFailures(),
            s.lastResponseCode(), s.lastError(), s.delivered(), s.failedAttempts(), description, at, sent);
  }

  static String describe(DeliveryResult r) {
    if (r.statusCode() >= 0) {
      String body = r.bodyExcerpt();
      return "HTTP " + r.statusCode() + (body.isEmpty() ? "" : ": " + Activity.truncate(body, 200));
    }
    Throwable f = r.failure();
    if (f == null) {
      return "no response";
    }
    String m = f.getMessage();
    return f.getClass().getSimpleName() + (m == null ? "" : ": " + Activity.truncate(m, 200));
  }

  private static HealthDetails with(HealthDetails s, Health h, Instant since) {
    return new HealthDetails(
        h, since, s.lastSuccessAt(), s.lastFailureAt(), s.consecutiveFailures(), s.lastResponseCode(),
        s.lastError(), s.delivered(), s.failedAttempts(), s.lastAlert(), s.lastAlertAt(), s.lastAlertSent());
  }
}
