package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MicrometerMetricsTest {

  @Test
  @DisplayName("the lag gauge keeps reading after its supplier is collectable (Micrometer holds gauges weakly by default)")
  void lagGaugeSurvivesGc() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicLong lag = new AtomicLong(7);
    WeakReference<LongSupplier> supplier = register(registry, lag);
    for (int i = 0; i < 20 && supplier.get() != null; i++) {
      System.gc();
    }
    Gauge g = registry.get("webhookd.consumer.lag").tag("subscription", "s-1").gauge();
    assertThat(g.value()).isEqualTo(7.0);
    lag.set(3);
    assertThat(g.value()).isEqualTo(3.0);
  }

  /** Registers the meters with a capturing lambda that nothing else references. */
  private static WeakReference<LongSupplier> register(SimpleMeterRegistry registry, AtomicLong lag) {
    LongSupplier s = () -> lag.get();
    new MicrometerMetrics(registry).forSubscription("s-1", s);
    return new WeakReference<>(s);
  }
}
