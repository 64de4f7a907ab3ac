package io.webhookd.testkit.internal;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A one-node Kafka in a Docker container (Testcontainers' {@code KafkaContainer}). The only class
 * of the kit that touches Testcontainers, an optional dependency: it is loaded only when a test
 * asks for this broker.
 */
public final class ContainerKafka implements AutoCloseable {
  private final KafkaContainer container;

  private ContainerKafka(KafkaContainer container) {
    this.container = container;
  }

  /**
   * Whether Testcontainers finds a Docker environment (it looks once per JVM: the environment
   * variables, the socket, the configured strategies).
   */
  public static boolean dockerAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  /**
   * Starts a container of {@code image} (an {@code apache/kafka} or {@code apache/kafka-native}
   * image) and waits until Kafka answers in it.
   */
  public static ContainerKafka start(String image) {
    KafkaContainer container = new KafkaContainer(image);
    container.start();
    return new ContainerKafka(container);
  }

  /** The address clients use, on this machine. */
  public String bootstrapServers() {
    return container.getBootstrapServers();
  }

  /** Stops and removes the container. */
  @Override
  public void close() {
    container.stop();
  }
}
