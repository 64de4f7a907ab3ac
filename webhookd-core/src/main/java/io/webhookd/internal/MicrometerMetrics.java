package io.webhookd.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Micrometer meters; the only class that references Micrometer, loaded only when a registry is given. */
final class MicrometerMetrics implements Metrics {
  private final MeterRegistry registry;

  MicrometerMetrics(Object registry) {
    this.registry = (MeterRegistry) registry;
  }

  @Override
  public void deadLettered(String id, String reason, int n) {
    Counter.builder("webhookd.messages.dead_lettered").description("Messages moved to the dead letters")
        .tag("subscription", id).tag("reason", reason).register(registry).increment(n);
  }

  @Override
  public void redelivered(String id, int n) {
    Counter.builder("webhookd.messages.redelivered").description("Dead letters delivered again with a 2xx")
        .tag("subscription", id).register(registry).increment(n);
  }

  @Override
  public void skipped(String id) {
    Counter.builder("webhookd.batches.skipped").description("Failing batches skipped by an operator")
        .tag("subscription", id).register(registry).increment();
  }

  @Override
  public void replayed(String id) {
    Counter.builder("webhookd.replays").description("Replays from other positions")
        .tag("subscription", id).register(registry).increment();
  }

  @Override
  public SubscriptionMetrics forSubscription(String id, LongSupplier lag) {
    return new Sub(id, lag);
  }

  private final class Sub implements SubscriptionMetrics {
    private final List<Meter> meters = new ArrayList<>();
    private final Counter consumed;
    private final Counter filtered;
    private final Counter delivered;
    private final Map<String, Timer> attempts = new ConcurrentHashMap<>();
    private final DistributionSummary endToEnd;
    private final String id;

    Sub(String id, LongSupplier lag) {
      this.id = id;
      consumed = add(Counter.builder("webhookd.messages.consumed").description("Records read from Kafka").tag("subscription", id).register(registry));
      filtered = add(Counter.builder("webhookd.messages.filtered").description("Records that did not pass the filters (committed, not delivered)").tag("subscription", id).register(registry));
      delivered = add(Counter.builder("webhookd.messages.delivered").description("Messages delivered with a 2xx").tag("subscription", id).register(registry));
      endToEnd = add(DistributionSummary.builder("webhookd.delivery.latency").baseUnit("milliseconds").description("Record timestamp to 2xx").publishPercentiles(0.5, 0.95, 0.99).tag("subscription", id).register(registry));
      // strongReference: the supplier is a lambda only the gauge holds; with Micrometer's default
      // weak reference it can be collected, and the gauge then reads NaN (seen once in CI)
      add(Gauge.builder("webhookd.consumer.lag", lag, s -> s.getAsLong()).strongReference(true).description("Messages not yet delivered or filtered").tag("subscription", id).register(registry));
    }

    private <M extends Meter> M add(M m) {
      meters.add(m);
      return m;
    }

    @Override
    public void consumed(int n) {
      consumed.increment(n);
    }

    @Override
    public void filtered(int n) {
      filtered.increment(n);
    }

    @Override
    public void delivered(int n) {
      delivered.increment(n);
    }

    @Override
    public void attempt(String outcome, long nanos) {
      attempts
          .computeIfAbsent(
              outcome,
              o -> add(Timer.builder("webhookd.delivery.attempts").description("Webhook requests by outcome").tag("subscription", id).tag("outcome", o).register(registry)))
          .record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void endToEnd(long millis) {
      endToEnd.record(millis);
    }

    @Override
    public void close() {
      synchronized (meters) {
        meters.forEach(registry::remove);
        meters.clear();
      }
    }
  }
}
