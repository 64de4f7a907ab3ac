package io.webhookd.loadtest;

import io.webhookd.Webhookd;
import io.webhookd.spi.SubscriptionStore;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;

/** In-process engines of the harness, and the crash fault. */
final class Engines {
  private Engines() {}

  static Webhookd start(String bootstrap, SubscriptionStore store) {
    return Webhookd.builder()
        .bootstrapServers(bootstrap)
        .kafkaProperties(kafkaProperties())
        .destination(Transports.create())
        .store(store)
        .requestTimeout(Duration.ofSeconds(10))
        .shutdownTimeout(Duration.ofSeconds(15))
        .build();
  }

  /** The engine's extra Kafka properties: a client id, and {@code webhookd.bench.kafka} (k=v,k=v) for experiments. */
  private static Map<String, Object> kafkaProperties() {
    Map<String, Object> p = new java.util.HashMap<>();
    p.put("client.id", "webhookd-load-test");
    p.putAll(fromSystemProperty("webhookd.bench.kafka"));
    return p;
  }

  /** The {@code key=value,key=value} pairs of a system property (none when it is not set), for experiments. */
  static Map<String, String> fromSystemProperty(String name) {
    Map<String, String> p = new java.util.LinkedHashMap<>();
    for (String kv : System.getProperty(name, "").split(",")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        p.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    return p;
  }

  /**
   * Stops an engine the way a crash would: its consumers stop at once, nothing more is committed,
   * nothing is closed gracefully ({@code Engine.abandonForTesting()}, reached by reflection as the
   * end-to-end tests do).
   */
  static void abandon(Webhookd engine) {
    try {
      Field f = Webhookd.class.getDeclaredField("engine");
      f.setAccessible(true);
      Object e = f.get(engine);
      Method m = e.getClass().getMethod("abandonForTesting");
      m.invoke(e);
    } catch (ReflectiveOperationException ex) {
      throw new IllegalStateException("could not abandon the engine (Engine.abandonForTesting)", ex);
    }
  }
}
