package com.example.host;

import io.webhookd.Health;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.SubscriptionListener;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The host's listener: counts delivered messages and failed attempts per subscription, and
 * remembers each subscription's health, for its own dashboard. Cheap and thread-safe, as a
 * listener on the engine's consumer threads must be.
 */
public final class DeliveryLog implements SubscriptionListener {
  private final Map<String, LongAdder> delivered = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> failedAttempts = new ConcurrentHashMap<>();
  private final Map<String, Health> health = new ConcurrentHashMap<>();

  @Override
  public void batchDelivered(String subscriptionId, String batchId, int size, DeliveryResult result) {
    delivered.computeIfAbsent(subscriptionId, k -> new LongAdder()).add(size);
  }

  @Override
  public void batchFailed(String subscriptionId, String batchId, int attempt, DeliveryResult result, long retryInMillis) {
    failedAttempts.computeIfAbsent(subscriptionId, k -> new LongAdder()).increment();
  }

  @Override
  public void healthChanged(String subscriptionId, Health from, Health to) {
    health.put(subscriptionId, to);
  }

  public long delivered(String subscriptionId) {
    LongAdder n = delivered.get(subscriptionId);
    return n == null ? 0 : n.sum();
  }

  public long failedAttempts(String subscriptionId) {
    LongAdder n = failedAttempts.get(subscriptionId);
    return n == null ? 0 : n.sum();
  }

  public Health health(String subscriptionId) {
    return health.getOrDefault(subscriptionId, Health.HEALTHY);
  }
}
