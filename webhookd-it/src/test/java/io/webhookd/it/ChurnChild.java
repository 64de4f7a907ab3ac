package io.webhookd.it;

import io.webhookd.Subscription;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/** An engine in a process of its own, running one given subscription until it is killed. */
public final class ChurnChild {
  static final String CLIENT_ID = "churn-child";

  private ChurnChild() {}

  /** Starts the process; it joins the subscription's group within a few seconds. */
  static Process start(KafkaCluster kafka, Subscription s, String mode, String url, String topic) throws IOException {
    Path log = Files.createTempFile("churn-child", ".log");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        ChurnChild.class.getName(), kafka.bootstrapServers(), s.id(), mode, url, topic));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String id = args[1];
    String mode = args[2];
    String url = args[3];
    String topic = args[4];
    SubscriptionStore store = SubscriptionStore.inMemory();
    store.create(new Subscription(id, RebalanceChurnTest.spec(url, topic), null, 1, Instant.now(), Instant.now()));
    Engines engines = Engines.on(bootstrap).store(store).requestTimeout(Duration.ofSeconds(5));
    RebalanceChurnTest.kafkaProperties(mode).forEach(engines::kafka);
    engines.kafka(ConsumerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
    engines.start();
    new CountDownLatch(1).await();
  }
}
