package io.webhookd.internal;

import io.webhookd.ActivityEvent;
import io.webhookd.HealthDetails;
import io.webhookd.spi.Alert;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.SubscriptionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes health and activity to the store and sends alerts, on one background thread, so that
 * neither a slow store nor a slow mail server ever stalls a consumer thread. Writes are coalesced
 * (the newest health, the newest {@code activityLimit} events) and retried while the store is
 * unreachable; alerts are retried with backoff until sent or the engine closes. Thread-safe.
 */
final class Reporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Reporter.class);
  private static final Duration FLUSH_EVERY = Duration.ofMillis(200);

  private final SubscriptionStore store;
  private final AlertChannel alerts;
  private final int activityLimit;
  private final Duration alertMinInterval;
  private final ScheduledExecutorService executor;
  private final Map<String, Deque<ActivityEvent>> pendingActivity = new LinkedHashMap<>();
  private final Map<String, HealthDetails> pendingHealth = new HashMap<>();
  private boolean storeDown;
  private volatile boolean closed;

  Reporter(SubscriptionStore store, AlertChannel alerts, int activityLimit, Duration alertMinInterval) {
    this.store = store;
    this.alerts = alerts;
    this.activityLimit = activityLimit;
    this.alertMinInterval = alertMinInterval;
    ScheduledThreadPoolExecutor ex =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "webhookd-reporter");
              t.setDaemon(true);
              return t;
            });
    ex.setRemoveOnCancelPolicy(true);
    this.executor = ex;
    executor.scheduleWithFixedDelay(this::flush, FLUSH_EVERY.toMillis(), FLUSH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  ScheduledExecutorService executor() {
    return executor;
  }

  void activity(String id, ActivityEvent e) {
    synchronized (this) {
      Deque<ActivityEvent> d = pendingActivity.computeIfAbsent(id, k -> new ArrayDeque<>());
      d.addLast(e);
      while (d.size() > activityLimit) {
        d.removeFirst();
      }
    }
  }

  synchronized void health(String id, HealthDetails h) {
    pendingHealth.put(id, h);
  }

  /** Events not yet written, oldest first. */
  synchronized List<ActivityEvent> pendingActivity(String id) {
    Deque<ActivityEvent> d = pendingActivity.get(id);
    return d == null ? List.of() : new ArrayList<>(d);
  }

  synchronized @Nullable HealthDetails pendingHealth(String id) {
    return pendingHealth.get(id);
  }

  /** Drops what is pending for a deleted subscription. */
  synchronized void forget(String id) {
    pendingActivity.remove(id);
    pendingHealth.remove(id);
  }

  /** Writes everything pending now (on the caller's thread); false when the store failed. */
  boolean flush() {
    Map<String, Deque<ActivityEvent>> acts;
    Map<String, HealthDetails> hs;
    synchronized (this) {
      if (pendingActivity.isEmpty() && pendingHealth.isEmpty()) {
        return true;
      }
      acts = new LinkedHashMap<>(pendingActivity);
      hs = new HashMap<>(pendingHealth);
      pendingActivity.clear();
      pendingHealth.clear();
    }
    try {
      for (Map.Entry<String, Deque<ActivityEvent>> e : new ArrayList<>(acts.entrySet())) {
        store.appendActivity(e.getKey(), List.copyOf(e.getValue()), activityLimit);
        acts.remove(e.getKey());
      }
      for (Map.Entry<String, HealthDetails> e : new ArrayList<>(hs.entrySet())) {
        store.saveHealth(e.getKey(), e.getValue());
        hs.remove(e.getKey());
      }
      if (storeDown) {
        storeDown = false;
        log.info("the store is reachable again; status and activity caught up");
      }
      return true;
    } catch (RuntimeException ex) {
      if (!storeDown) {
        storeDown = true;
        log.warn("cannot write status to the store ({}); delivery goes on, writes are retried", ex.toString());
      }
      // put back what was not written, newer pending entries win
      synchronized (this) {
        for (Map.Entry<String, Deque<ActivityEvent>> e : acts.entrySet()) {
          Deque<ActivityEvent> newer = pendingActivity.remove(e.getKey());
          Deque<ActivityEvent> merged = new ArrayDeque<>(e.getValue());
          if (newer != null) {
            merged.addAll(newer);
          }
          while (merged.size() > activityLimit) {
            merged.removeFirst();
          }
          pendingActivity.put(e.getKey(), merged);
        }
        hs.forEach(pendingHealth::putIfAbsent);
      }
      return false;
    }
  }

  /**
   * Sends an alert unless another engine (or this one) sent the same kind for the subscription
   * within the minimum interval. Retried with backoff until sent; the outcome is reported to
   * {@code outcome}.
   */
  void alert(Alert alert, AlertOutcome outcome) {
    if (closed) {
      return;
    }
    executor.execute(
        () -> {
          boolean claimed;
          try {
            claimed = store.claimAlert(alert.subscriptionId(), alert.kind().wireName(), alert.at(), alertMinInterval);
          } catch (RuntimeException e) {
            // the store is down: better a duplicate mail than none
            log.warn("cannot claim alert for {} in the store ({}); sending anyway", alert.subscriptionId(), e.toString());
            claimed = true;
          }
          if (!claimed) {
            log.info("{} alert for subscription {} suppressed: one was sent less than {} ago",
                alert.kind().wireName(), alert.subscriptionId(), alertMinInterval);
            return;
          }
          outcome.record(describe(alert, "pending"), alert.at(), false);
          attempt(alert, outcome, 1);
        });
  }

  private void attempt(Alert alert, AlertOutcome outcome, int attempt) {
    if (closed) {
      log.warn("engine closing: {} alert for {} was not sent", alert.kind().wireName(), alert.subscriptionId());
      return;
    }
    CompletableFuture<Void> f;
    try {
      f = alerts.send(alert);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete(
        (v, e) -> {
          if (e == null) {
            outcome.record(describe(alert, "sent"), alert.at(), true);
            log.info("{} alert for subscription {} sent to {} recipient(s)",
                alert.kind().wireName(), alert.subscriptionId(), alert.recipients().size());
            return;
          }
          long delayMs = Math.min(300_000L, 1000L << Math.min(attempt - 1, 9));
          outcome.record(describe(alert, "not sent yet (" + e + "), retrying"), alert.at(), false);
          log.warn("{} alert for subscription {} failed (attempt {}): {}; retrying in {} ms",
              alert.kind().wireName(), alert.subscriptionId(), attempt, e.toString(), delayMs);
          if (!closed) {
            executor.schedule(() -> attempt(alert, outcome, attempt + 1), delayMs, TimeUnit.MILLISECONDS);
          }
        });
  }

  private static String describe(Alert a, String state) {
    return a.kind().wireName() + " alert to " + a.recipients().size() + " recipient(s): " + state;
  }

  /** Where an alert's fate is written (the subscription's health snapshot). */
  interface AlertOutcome {
    void record(String description, Instant at, boolean sent);
  }

  @Override
  public void close() {
    closed = true;
    try {
      executor.submit(this::flush).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("could not write the last status before closing: {}", e.toString());
    }
    executor.shutdownNow();
  }
}
