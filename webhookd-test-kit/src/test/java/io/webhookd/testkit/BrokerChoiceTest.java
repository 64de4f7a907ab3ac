package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.webhookd.testkit.WithKafka.Broker;
import io.webhookd.testkit.internal.ContainerKafka;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which broker @WithKafka and the system property choose, and what is said when one cannot be had. */
class BrokerChoiceTest {

  @AfterEach
  void clearProperty() {
    System.clearProperty(KafkaCluster.BROKER_PROPERTY);
  }

  @Test
  @DisplayName("by default the broker is in-process; the system property moves one-broker clusters into a container, never bigger ones")
  void systemPropertyChoosesForDefault() {
    assertThat(KafkaExtension.inContainer(1, Broker.DEFAULT)).isFalse();
    System.setProperty(KafkaCluster.BROKER_PROPERTY, "testcontainers");
    assertThat(KafkaExtension.inContainer(1, Broker.DEFAULT)).isTrue();
    assertThat(KafkaExtension.inContainer(3, Broker.DEFAULT)).isFalse();
    assertThat(KafkaExtension.inContainer(1, Broker.IN_PROCESS)).isFalse();
    System.setProperty(KafkaCluster.BROKER_PROPERTY, "in-process");
    assertThat(KafkaExtension.inContainer(1, Broker.DEFAULT)).isFalse();
  }

  @Test
  @DisplayName("the annotation's TESTCONTAINERS wins over the property; with several brokers, or an unknown property value, the error names the rule and the value")
  void annotationWinsAndBadValuesAreRefused() {
    System.setProperty(KafkaCluster.BROKER_PROPERTY, "in-process");
    assertThat(KafkaExtension.inContainer(1, Broker.TESTCONTAINERS)).isTrue();
    assertThatThrownBy(() -> KafkaExtension.inContainer(3, Broker.TESTCONTAINERS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the Testcontainers broker is one Kafka node, brokers must be 1, was 3; a cluster of several brokers is in-process");
    System.setProperty(KafkaCluster.BROKER_PROPERTY, "docker");
    assertThatThrownBy(() -> KafkaExtension.inContainer(1, Broker.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhookd.testkit.kafka must be in-process or testcontainers, was \"docker\"");
  }

  @Test
  @DisplayName("without Docker, asking for the container broker fails with a message that says so and points to the in-process one")
  void withoutDockerTheContainerIsRefusedClearly() {
    assumeFalse(ContainerKafka.dockerAvailable(), "this machine has Docker");
    assertThatThrownBy(KafkaCluster::startContainer)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs Docker, and Testcontainers found no Docker environment")
        .hasMessageContaining("the in-process broker needs none");
  }
}
