package io.webhookd.loadtest;

import io.webhookd.Webhookd;
import io.webhookd.internal.Engine;
import io.webhookd.spi.RowFilterPolicy;
import io.webhookd.spi.SubscriptionStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** In-process engines of the harness, and the crash fault. */
final class Engines {
  private Engines() {}

  /** An engine of the harness, built as users build it. */
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

  /**
   * An engine that the crash fault can abandon as a dead process would: the internal {@link
   * Engine} behind {@code Webhookd}, with the same settings as {@link #start}; only the internal
   * class offers that.
   */
  static Engine startCrashable(String bootstrap, SubscriptionStore store) {
    Map<String, Object> kafka = new java.util.HashMap<>(kafkaProperties());
    kafka.put("bootstrap.servers", bootstrap);
    return Engine.start(
        new Engine.Config(
            kafka, Transports.create(), store, List.of(), null, null, RowFilterPolicy.NONE, Duration.ofSeconds(10),
            Duration.ofSeconds(15), Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofHours(1), 100));
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
}
