package io.webhookd.it;

import io.webhookd.http.JdkHttpDestination;
import io.webhookd.internal.Engine;
import io.webhookd.spi.RowFilterPolicy;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Engines built below the public builder, for tests that need what it does not offer: consumers
 * made by the test (real {@link KafkaConsumer}s with a fault injected), or an abandon that behaves
 * as a process that died.
 */
final class Engines {
  private final String bootstrapServers;
  private SubscriptionStore store = SubscriptionStore.inMemory();
  private Duration requestTimeout = Duration.ofSeconds(10);
  private Duration shutdownTimeout = Duration.ofSeconds(10);
  private final Map<String, Object> kafkaProperties = new HashMap<>();
  private Function<Map<String, Object>, Consumer<byte[], byte[]>> consumers = KafkaConsumer::new;
  private SubscriptionListener listener = SubscriptionListener.NONE;
  private Engine.Scaling scaling = Engine.Scaling.defaults();

  private Engines(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  static Engines on(KafkaCluster kafka) {
    return new Engines(kafka.bootstrapServers());
  }

  static Engines on(String bootstrapServers) {
    return new Engines(bootstrapServers);
  }

  Engines store(SubscriptionStore s) {
    this.store = s;
    return this;
  }

  Engines requestTimeout(Duration d) {
    this.requestTimeout = d;
    return this;
  }

  Engines shutdownTimeout(Duration d) {
    this.shutdownTimeout = d;
    return this;
  }

  Engines kafka(String property, Object value) {
    kafkaProperties.put(property, value);
    return this;
  }

  Engines consumers(Function<Map<String, Object>, Consumer<byte[], byte[]>> factory) {
    this.consumers = factory;
    return this;
  }

  Engines listener(SubscriptionListener l) {
    this.listener = l;
    return this;
  }

  /** How the engine shares subscriptions with others (its id, its coordination group and slots topic). */
  Engines scaling(Engine.Scaling s) {
    this.scaling = s;
    return this;
  }

  /** Starts an engine. Engines of one test may share an in-memory store: closing one leaves the store as it is. */
  Engine start() {
    Map<String, Object> props = new HashMap<>(kafkaProperties);
    props.put("bootstrap.servers", bootstrapServers);
    Engine.Config config =
        new Engine.Config(
                props,
                JdkHttpDestination.builder().allowPrivateDestinations(true).build(),
                store,
                List.of(listener),
                null,
                null,
                RowFilterPolicy.NONE,
                requestTimeout,
                shutdownTimeout,
                Duration.ofMillis(500),
                Duration.ZERO,
                Duration.ofHours(1),
                100)
            .withConsumerFactory(consumers)
            .withScaling(scaling);
    return Engine.start(config);
  }
}
