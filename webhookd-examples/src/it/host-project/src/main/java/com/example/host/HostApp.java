package com.example.host;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How the host application embeds webhookd: one engine with its own destination, store and
 * listener, and a subscription that writes the messages of a topic to files.
 */
public final class HostApp implements AutoCloseable {
  private final Webhookd engine;
  private final DeliveryLog log = new DeliveryLog();

  public HostApp(String bootstrapServers, Path outbox) {
    this.engine = Webhookd.builder()
        .bootstrapServers(bootstrapServers)
        .destination("file", new FileDestination(outbox)) // file: URLs; http(s) still go to the HTTP transport
        .store(new MapSubscriptionStore())
        .listener(log)
        .build();
  }

  /** Writes every message of {@code topic} to the outbox, in batches of up to 50. */
  public Subscription exportTopic(String topic) {
    return engine.subscribe(SubscriptionSpec.builder()
        .name("export-" + topic)
        .webhookUrl("file:/outbox/" + topic)
        .source(topic)
        .maxBatchSize(50)
        .maxBatchInterval(Duration.ofMillis(200))
        .build());
  }

  public Webhookd engine() {
    return engine;
  }

  public DeliveryLog deliveryLog() {
    return log;
  }

  @Override
  public void close() {
    engine.close();
  }
}
