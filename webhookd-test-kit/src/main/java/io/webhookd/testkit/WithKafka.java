package io.webhookd.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a JUnit 5 test class a real Kafka cluster: {@link KafkaCluster} parameters of its
 * constructor, {@code @BeforeAll}, {@code @BeforeEach}, {@code @Test} and other methods are
 * resolved to a cluster of {@link #brokers()} brokers.
 *
 * <p>The cluster is started once per JVM per broker count (and {@link #broker()}) and shared by
 * every test class that asks for that count; it is closed when the test run ends. Tests therefore use unique topic and
 * group names and never close the cluster. A test that stops a broker must restart it (in a
 * {@code finally} block) and should ask for {@code brokers = 3}, so that topics stay available.
 *
 * <pre>{@code
 * @WithKafka
 * class DeliveryTest {
 *   @Test
 *   void delivers(KafkaCluster kafka) {
 *     kafka.createTopic("orders-" + UUID.randomUUID(), 3);
 *     ...
 *   }
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(KafkaExtension.class)
public @interface WithKafka {
  /** How many brokers, 1 to 9; default 1. */
  int brokers() default 1;

  /**
   * Which broker: by default the system property {@value KafkaCluster#BROKER_PROPERTY} decides,
   * and without it the in-process one.
   */
  Broker broker() default Broker.DEFAULT;

  /** Where the cluster runs. */
  enum Broker {
    /**
     * As the system property {@value KafkaCluster#BROKER_PROPERTY} says ({@code in-process} or
     * {@code testcontainers}); {@link #IN_PROCESS} when it is unset. The property moves only
     * one-broker clusters into a container: a test of {@code brokers = 3} stops and starts brokers,
     * which only the in-process cluster can.
     */
    DEFAULT,
    /** Kafka's own KRaft test kit in this JVM; no Docker (or the external cluster of {@value KafkaCluster#EXTERNAL_BOOTSTRAP_ENV}). */
    IN_PROCESS,
    /**
     * One Kafka node in a Docker container ({@link KafkaCluster#startContainer()}): needs {@code
     * org.testcontainers:testcontainers-kafka} on the test class path and a Docker engine; with
     * {@code brokers} other than 1 the parameter is refused. A test class that must be skipped
     * where there is no Docker adds Testcontainers' {@code @Testcontainers(disabledWithoutDocker =
     * true)}.
     */
    TESTCONTAINERS
  }
}
